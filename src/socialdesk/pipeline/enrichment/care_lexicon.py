"""The customer-care layer on top of VADER: word valences and phrase rules written for this
project (not taken from any data set), on VADER's scale of -4 (most negative) to +4.

Three kinds of knowledge live here:

* ``WORD_VALENCE``: words VADER's lexicon lacks or scores for general text, where care traffic
  means something else ("please" and "help" are how requests are phrased, not praise).
* ``PHRASE_RULES``: multi-word patterns of complaints ("still waiting", "no response", "cancel my
  account", "charged twice") and of satisfaction ("working again", "quick response"). Each match
  adds one valence item, as if it were a word of the lexicon.
* Markers that change how other words count: politeness words that are not praise inside a
  complaint, and sarcasm markers that turn the praise around them into blame.
"""

from __future__ import annotations

from typing import Final

__all__ = [
    "EMOJI_VALENCE",
    "GRATITUDE_WORDS",
    "PHRASE_RULES",
    "SARCASM_ANCHORS",
    "SARCASM_EMOJI",
    "SARCASM_IF_NEGATIVE",
    "SARCASM_MARKERS",
    "WORD_VALENCE",
]

# Words added to (or re-scored in) VADER's lexicon for care traffic.
WORD_VALENCE: Final[dict[str, float]] = {
    # requests are not praise ("please help", "I would like to change my plan")
    "please": 0.3,
    "help": 0.4,
    "like": 0.0,  # the verb is scored by a phrase rule ("I really like ...")
    # names of the service, not praise ("customer care", "tech support")
    "support": 0.4,
    "care": 0.6,
    # fillers and hedges more often than praise ("well, ...", "pretty much")
    "well": 0.4,
    "pretty": 0.8,
    # failures of products and services
    "unhelpful": -1.8,
    "unresponsive": -1.6,
    "unreachable": -1.2,
    "garbage": -2.0,
    "trash": -1.8,
    "rubbish": -1.8,
    "disgraceful": -2.4,
    "shameful": -2.0,
    "absurd": -1.5,
    "buggy": -1.5,
    "glitchy": -1.5,
    "glitch": -1.0,
    "laggy": -1.4,
    "crashing": -1.5,
    "crashes": -1.3,
    "crashed": -1.5,
    "issue": -0.6,
    "issues": -0.6,
    "hijacked": -2.0,
    "overcharged": -2.0,
    "overcharging": -2.0,
    "scammed": -2.5,
    "ripoff": -2.3,
    "rip-off": -2.3,
    "canceled": -1.0,
    "delays": -1.3,
    "incompetence": -2.1,
    "ridiculously": -1.2,
    "bs": -1.5,
    "smh": -1.5,
    "ffs": -2.0,
    "wth": -2.0,
    "furious": -2.7,
    # resolution
    "fixed": 1.2,
    "sorted": 0.8,
    "refunded": 0.6,
    "legend": 2.0,
    "shoutout": 1.5,
}

# Emoji scored directly (VADER otherwise scores the words of their English descriptions, which
# misreads many of them: "face with tears of joy" is joy and tears, "face with rolling eyes" is
# nothing).
EMOJI_VALENCE: Final[dict[str, float]] = {
    "😡": -2.8,
    "🤬": -3.0,
    "😠": -2.5,
    "😤": -2.0,
    "🙄": -1.6,
    "😒": -1.6,
    "😑": -1.0,
    "😐": -0.6,
    "😞": -1.8,
    "😔": -1.6,
    "😟": -1.5,
    "😢": -1.8,
    "😭": -1.8,
    "😩": -1.8,
    "😫": -1.8,
    "😖": -1.8,
    "😣": -1.6,
    "🤦": -1.8,
    "👎": -2.0,
    "💩": -1.8,
    "😱": -1.2,
    "🤯": -1.0,
    "💔": -2.0,
    "😂": 0.6,
    "🤣": 0.8,
    "😅": 0.3,
    "🙂": 1.3,
    "😊": 2.0,
    "😀": 1.8,
    "😃": 2.0,
    "😄": 2.0,
    "😁": 2.0,
    "😉": 1.2,
    "😍": 2.8,
    "🥰": 2.8,
    "😘": 2.2,
    "🤗": 2.0,
    "❤": 2.6,
    "💕": 2.4,
    "💖": 2.4,
    "💙": 2.2,
    "💯": 1.8,
    "👍": 1.6,
    "👌": 1.5,
    "👏": 1.8,
    "🙌": 2.0,
    "🎉": 2.0,
    "🥳": 2.2,
    "✨": 1.0,
    "🙏": 0.8,
}

# Multi-word patterns (regular expressions over lower-cased text with ASCII apostrophes) and the
# valence each match adds. A pattern runs only when one of its anchor words occurs in the text (as
# a word, surrounding punctuation stripped), which keeps the layer fast. Negative first: they are
# what care teams most need to see.
_NOT = (
    r"(?:not|isn'?t|aren'?t|wasn'?t|weren'?t|doesn'?t|don'?t|didn'?t|won'?t|can'?t|cannot|"
    r"never|no longer|stopped)"
)
_NOT_WORDS = (
    "not", "isn't", "isnt", "aren't", "arent", "wasn't", "wasnt", "weren't", "werent", "doesn't",
    "doesnt", "don't", "dont", "didn't", "didnt", "won't", "wont", "can't", "cant", "cannot",
    "never", "longer", "stopped",
)  # fmt: skip

PHRASE_RULES: Final[tuple[tuple[tuple[str, ...], str, float], ...]] = (
    # waiting and silence
    (
        ("still",),
        r"\bstill (?:waiting|no\b|not\b|nothing|haven'?t|hasn'?t|can'?t|doesn'?t|don'?t|isn'?t|"
        r"won'?t|unable|broken|down|no one|nobody)",
        -1.6,
    ),
    (
        ("waiting", "waited"),
        r"\b(?:waiting|waited)\b(?: for)?(?: over| more than| almost| nearly)? (?:\d+|an?|two|"
        r"three|four|five|several|many) (?:hours?|hrs?|days?|weeks?|months?|mins?|minutes?)\b",
        -1.6,
    ),
    (
        ("wait", "waiting", "waited"),
        r"\b(?:waiting|waited|wait) (?:forever|ages|all day|all week)\b",
        -1.6,
    ),
    (
        ("no",),
        r"\bno (?:response|reply|replies|answer|answers|update|updates|resolution|call ?back|"
        r"follow[- ]?up|feedback|acknowledge?ment)\b",
        -1.6,
    ),
    (
        ("nobody", "no", "noone"),
        r"\b(?:nobody|no ?one)\b(?: [a-z']+){0,3}? (?:respond|responds|responded|answer|answers|"
        r"answered|reply|replies|replied|help|helps|helped|call(?:s|ed)? back|got back|"
        r"gets back|cares?)\b",
        -1.5,
    ),
    (
        ("hold", "hung", "hang", "transferred"),
        r"\b(?:on hold|hung up|hang up|transferred)\b(?: [a-z']+){0,4}? (?:\d+|an?|two|three|"
        r"hours?|times|again|forever|ages)\b",
        -1.4,
    ),
    (
        ("haven't", "havent", "hasn't", "hasnt", "didn't", "didnt", "never", "not"),
        r"\b(?:haven'?t|hasn'?t|didn'?t|never|still not|not yet) (?:received|got|gotten|"
        r"heard back|been (?:contacted|refunded|credited|called)|had (?:a |any )?(?:reply|"
        r"response|answer|call))\b",
        -1.5,
    ),
    # leaving
    (
        ("cancel", "canceling", "cancelling", "cancelled", "canceled"),
        r"\bcancel(?:l?ing|l?ed)? (?:my|our|the) (?:account|subscription|service|contract|"
        r"membership|plan|card|internet|policy)\b",
        -1.4,
    ),
    (
        ("switch", "switching", "moving", "move", "going", "go", "leaving", "leave"),
        r"\b(?:switch|switching|moving|move|going|go|leaving|leave) (?:to (?:another|a different|"
        r"a new) (?:provider|carrier|company|bank|airline)|(?:providers|carriers|banks))\b",
        -1.6,
    ),
    (
        ("never", "not"),
        r"\b(?:never|not) (?:again\b|(?:be )?(?:using|buying|flying|ordering|shopping|booking|"
        r"recommending) (?:with |from )?(?:you|again)\b)",
        -1.8,
    ),
    (
        ("last", "final"),
        r"\b(?:last|final) time i (?:use|order|fly|buy|shop|book)",
        -1.6,
    ),
    # things that do not work
    (
        _NOT_WORDS,
        r"\b" + _NOT + r" (?:work|works|working|load|loading|loads|connect|connecting|open|"
        r"opening|arrive|arrived|deliver|delivered|show(?:ed|n)? up|turn(?:ing)? on|"
        r"respond(?:ing)?|charg(?:e|ing)|sync(?:ing)?|go(?:ing)? through|fixed|resolved|sorted|"
        r"refunded|been (?:fixed|resolved|sorted|refunded))\b",
        -1.5,
    ),
    (
        ("can't", "cant", "cannot", "unable", "couldn't", "couldnt", "won't", "wont"),
        r"\b(?:can'?t|cannot|unable to|couldn'?t|won'?t let me) (?:log ?in|login|sign ?in|access|"
        r"connect|get through|reach|get hold|make (?:a )?calls?|pay|download|check ?in|stream)\b",
        -1.3,
    ),
    (
        ("again",),
        r"\b(?:down|broken|crashed|crashing|late|delayed|cancelled|canceled|charged|overcharged|"
        r"wrong|failed|dropped|dropping|lost|missing|offline|not working) again\b",
        -1.4,
    ),
    (
        ("again",),
        r"\bagain\s*[?!]",
        -0.6,
    ),
    (
        ("down", "out", "dead", "offline", "crashing", "dropping", "freezing", "frozen", "slow"),
        r"\b(?:internet|wifi|wi-fi|service|signal|network|app|site|website|power|connection|"
        r"system|server|servers|phone|tv|cable|account)(?: is| are| has been| keeps| keep| went)?"
        r" (?:down|out|dead|offline|crashing|dropping|freezing|frozen|slow)\b",
        -1.3,
    ),
    (
        ("charged", "billed", "double-charged"),
        r"\b(?:charged|billed) (?:me )?(?:twice|double|two times|three times)\b|"
        r"\bdouble[- ]charged\b",
        -1.8,
    ),
    (
        ("where", "where's", "wheres"),
        r"\bwhere(?:'s| is| are) (?:my|our|the) (?:order|package|parcel|refund|money|delivery|"
        r"bag|bags|luggage|driver|technician|engineer|replacement)\b",
        -1.2,
    ),
    (
        ("no", "zero", "little", "much", "any", "none"),
        r"\b(?:no|zero|little|not much|not any|none) (?:help|support|assistance|service|signal|"
        r"internet|wifi|power)\b",
        -1.4,
    ),
    (
        ("no",),
        r"\b(?:of no|no) use\b",
        -1.2,
    ),
    (
        ("waste", "wasted", "wasting"),
        r"\b(?:waste|wasted|wasting) (?:of )?(?:my |our )?(?:time|money|hours|day)\b",
        -1.4,
    ),
    (
        ("joke", "farce", "shambles", "mess", "scam"),
        r"\b(?:what a|is a|such a|absolute|complete|total) (?:joke|farce|shambles|mess|scam)\b",
        -2.2,
    ),
    (
        ("fix",),
        r"\bfix (?:this|it|your|the)\b",
        -0.8,
    ),
    (
        ("sort",),
        r"\bsort (?:this|it) out\b",
        -0.8,
    ),
    (
        ("slow",),
        r"\b(?:so|too|very|really|extremely|painfully|super) slow\b",
        -1.4,
    ),
    (
        ("worst", "awful", "terrible", "horrible", "shocking", "appalling"),
        r"\b(?:worst|awful|terrible|horrible|shocking|appalling) (?:customer )?(?:service|support|"
        r"experience|company|app|airline|bank)\b",
        -0.8,
    ),
    (
        ("nothing",),
        r"\b(?:thanks|thank you|cheers) for nothing\b",
        -2.6,
    ),
    # satisfaction
    (
        ("fixed", "resolved", "sorted", "working"),
        r"\b(?:is|it'?s|all|now|finally|got it|been|are|was) (?:fixed|resolved|sorted(?: out)?|"
        r"working (?:again|now|fine|perfectly|great))\b",
        1.4,
    ),
    (
        ("work", "works"),
        r"\bworks? (?:again|now|fine|perfectly|great)\b",
        1.3,
    ),
    (
        ("quick", "fast", "speedy", "prompt", "swift", "rapid", "lightning"),
        r"\b(?:quick|fast|speedy|prompt|swift|rapid|lightning) (?:response|reply|help|service|"
        r"support|delivery|resolution|fix|turnaround)\b",
        1.6,
    ),
    (
        ("thank", "thanks", "thx", "ty"),
        r"\b(?:thank you|thanks|thx|ty) (?:so much|very much|a (?:ton|million)|heaps|again)\b",
        0.8,
    ),
    (
        ("wait",),
        r"\b(?:can'?t|cannot|can not) wait\b(?! (?:any ?longer|any ?more|forever|all day|"
        r"for (?:ever|hours|days|weeks)))",
        1.8,
    ),
    (
        ("looking",),
        r"\blooking forward\b",
        1.5,
    ),
    (
        ("like",),
        r"\b(?:i|we|u|you|really|totally|definitely|do|did|absolutely)\s+(?:really\s+|do\s+|"
        r"totally\s+)?like\b(?! to\b)",
        1.5,
    ),
    (
        ("beyond", "made", "saved", "rock"),
        r"\b(?:above and beyond|made my day|saved the day|you rock|you guys rock)\b",
        2.4,
    ),
)

# Words of thanks: courtesy, not satisfaction, in a message that complains.
GRATITUDE_WORDS: Final[frozenset[str]] = frozenset(
    {
        "thanks",
        "thank",
        "thx",
        "ty",
        "cheers",
        "appreciate",
        "appreciated",
        "please",
        "pls",
        "plz",
        "help",
        "kindly",
        "hopefully",
        "hope",
        "lol",
    }
)

# Markers that are sarcastic on their own; the pattern runs only when an anchor is in the text.
SARCASM_ANCHORS: Final[frozenset[str]] = frozenset(
    {"right", "/s", "much", "oh", "what", "nothing", "not"}
)
SARCASM_MARKERS: Final[str] = (
    r"\byeah,? right\b|(?:^|\s)/s\b|\bso much for\b|\boh (?:joy|wonderful|fantastic)\b|"
    r"\bjust what i (?:needed|wanted)\b|\b(?:thanks|thank you|cheers) for nothing\b|\bnot!"
)
SARCASM_EMOJI: Final[str] = "\U0001f644"  # face with rolling eyes

# Praise that is sarcastic when the message also complains.
SARCASM_IF_NEGATIVE: Final[str] = (
    r"\b(?:great|good|nice|fantastic|brilliant|excellent|amazing|awesome|wonderful|stellar|"
    r"superb) (?:job|work|service|stuff|going|one|way|start|experience|customer (?:service|"
    r"experience))\b|\b(?:just|oh|how) (?:great|"
    r"perfect|lovely|wonderful|fantastic|brilliant|awesome)\b|\blove (?:how|when|that|it when)\b|"
    r"\b(?:really|very|so) (?:helpful|useful)\b|\bwell done\b|\bthanks a (?:lot|bunch)\b|"
    r"\bcongrat"
)
