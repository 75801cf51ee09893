"""The demo's phrase bank: sentence templates by language, topic and conversation step.

Templates use ``str.format`` slots filled once per conversation (see ``plan._slots``), so one
customer's account number, area and amounts stay the same across their messages. Customers'
messages are built from an opener, a topic sentence, an optional impact and a closer; agents'
from a greeting, an optional apology, a topic sentence and a signature. Internal notes are
written in English by the team whatever the customer's language.
"""

from __future__ import annotations

__all__ = ["GENERIC", "NOTES", "SLOT_WORDS", "TOPIC_PHRASES"]

Phrases = dict[str, tuple[str, ...]]

# Parts shared by every topic of one language.
GENERIC: dict[str, Phrases] = {
    "en": {
        "post_open_angry": (
            "Seriously {brand}?",
            "Unbelievable, {brand}.",
            "{brand} this is getting ridiculous.",
            "Come on {brand}.",
            "Hey {brand}, not impressed.",
            "{brand} again?!",
            "Day ruined, thanks {brand}.",
            "Wow {brand}.",
        ),
        "post_open_neutral": (
            "Hi {brand},",
            "Hey {brand}",
            "{brand}",
            "Quick one for {brand}:",
            "Hello {brand}.",
            "{brand} hi!",
        ),
        "post_open_happy": (
            "Big thank you to {brand}!",
            "Shoutout to {brand} 🙌",
            "Credit where it's due, {brand}.",
            "{brand} you legends.",
            "Have to say it: {brand} did good today.",
        ),
        "dm_open": ("Hi,", "Hello,", "Hi there,", "Hey,", "Good morning,", "Hi Brightwave,"),
        "close_angry": (
            "Sort it out!",
            "Absolutely useless.",
            "#fail",
            "😡",
            "Not happy.",
            "Worst provider I've ever had.",
            "Fix it.",
            "Getting really fed up.",
            "Is anyone actually working there?",
            "Seriously considering switching.",
            "Not good enough.",
        ),
        "close_neutral": (
            "Any idea what's going on?",
            "Can someone help?",
            "Thanks.",
            "Cheers.",
            "Can you look into it?",
            "Any help appreciated.",
            "What should I do?",
            "Thanks in advance.",
        ),
        "close_happy": ("❤️", "Thank you!", "🙌", "Made my day.", "Top service.", "Cheers!"),
        "chaser": (
            "Hello?? Still waiting on a reply.",
            "Any update on this?",
            "It's been {hours} hours and nothing.",
            "Is anyone there?",
            "Still no answer…",
            "Bumping this.",
            "Anyone? It's been {hours} hours.",
            "Still waiting. {hours} hours now.",
            "Can someone please get back to me?",
            "Hello? Anyone reading these?",
            "Waiting {hours} hours for an answer is a joke.",
            "Is this account even monitored?",
            "Following up on my message from earlier.",
        ),
        "thanks": (
            "Working now, thanks {agent}!",
            "That did it, thank you 🙏",
            "Confirmed, all good now. Appreciate the quick help.",
            "Perfect, thanks for sorting it.",
            "Finally! Thanks {agent}.",
            "Yep, that fixed it. Cheers.",
            "All sorted, thank you so much.",
            "Great, thanks for the help {agent}.",
            "Brilliant, thank you. That was quicker than I expected.",
            "Looks good from here. Thanks both.",
            "It's back! Thank you {agent}.",
            "Sorted, cheers for the quick response.",
            "Just tested it and it's fine now. Thank you!",
            "Amazing, thanks {agent}, really appreciate it.",
            "Thanks, that's exactly what I needed.",
        ),
        "greet": (
            "Hi {first}!",
            "Hey {first}!",
            "Hello {first}.",
            "Hi {first}, thanks for getting in touch.",
            "Thanks for reaching out, {first}.",
            "Hi {first} 👋",
            "{first}, thanks for flagging this.",
        ),
        "sorry": (
            "Really sorry about this.",
            "Sorry for the trouble.",
            "I understand how frustrating that is.",
            "That's not the service we want you to have.",
            "Apologies for the hassle.",
            "Sorry you've had to chase us.",
        ),
        "sign": ("^{initials}", "- {agent}", "{agent}, Brightwave Care", "^{initials}"),
        "close": (
            "Glad that's sorted, {first}! Give us a shout if anything else comes up.",
            "Brilliant, thanks for confirming. We'll close this one off.",
            "Great to hear. We're here if you need us again.",
            "Happy to help, {first}. Have a good one!",
            "Thanks for your patience with this one, {first}.",
            "Good stuff! Enjoy the rest of your day, {first}.",
        ),
        "ask_dm": (
            "Could you send us a DM with your account number so we can take a look?",
            "Pop us a DM with the account holder's name and postcode and we'll check it for you.",
            "Can you DM us the account number? We'll pick it up from there.",
            "Please don't share account details here, but send us a DM and we'll look into it.",
            "Drop us a private message with your account number and we'll dig into it.",
        ),
    },
    "es": {
        "post_open_angry": (
            "¿En serio, {brand}?",
            "{brand} esto ya es demasiado.",
            "Increíble, {brand}.",
            "Vamos a ver, {brand}...",
        ),
        "post_open_neutral": ("Hola {brand},", "{brand}", "Buenas {brand}:"),
        "post_open_happy": ("¡Gracias {brand}!", "Mil gracias a {brand} 🙌"),
        "dm_open": ("Hola,", "Buenas tardes,", "Hola, buenos días.", "Buenas,"),
        "close_angry": (
            "¡Solucionadlo ya!",
            "Vergonzoso.",
            "Estoy harta.",
            "Estoy harto.",
            "😡",
            "Me voy a cambiar de compañía.",
        ),
        "close_neutral": (
            "¿Alguna solución?",
            "¿Me podéis ayudar?",
            "Gracias.",
            "¿Qué hago?",
        ),
        "close_happy": ("❤️", "¡Gracias!", "Servicio de diez."),
        "chaser": (
            "¿Hola? Sigo esperando respuesta.",
            "¿Alguna novedad?",
            "Llevo {hours} horas esperando.",
        ),
        "thanks": (
            "Ya funciona, ¡gracias {agent}!",
            "Perfecto, muchas gracias por la ayuda.",
            "Confirmado, todo bien. ¡Gracias!",
        ),
        "greet": ("¡Hola {first}!", "Hola {first}, gracias por escribirnos.", "Buenas, {first}."),
        "sorry": (
            "Sentimos mucho las molestias.",
            "Lo siento mucho.",
            "Entiendo lo frustrante que es.",
        ),
        "sign": ("^{initials}", "- {agent}"),
        "close": (
            "¡Nos alegra que esté solucionado, {first}! Aquí estamos para lo que necesites.",
            "Gracias por confirmarlo. ¡Que tengas buen día!",
        ),
        "ask_dm": (
            "¿Nos escribes por mensaje privado con tu número de cliente para revisarlo?",
            "Envíanos un DM con tu número de cuenta y lo miramos.",
        ),
    },
    "fr": {
        "post_open_angry": (
            "Sérieusement {brand} ?",
            "{brand} ça devient n'importe quoi.",
            "Franchement {brand}...",
        ),
        "post_open_neutral": ("Bonjour {brand},", "{brand}", "Salut {brand},"),
        "post_open_happy": ("Merci {brand} !", "Bravo {brand} 👏"),
        "dm_open": ("Bonjour,", "Bonsoir,", "Bonjour à vous,"),
        "close_angry": ("C'est inadmissible.", "Réglez ça !", "😡", "Je vais résilier."),
        "close_neutral": (
            "Une idée de ce qui se passe ?",
            "Vous pouvez m'aider ?",
            "Merci.",
            "Que dois-je faire ?",
        ),
        "close_happy": ("❤️", "Merci !", "Service au top."),
        "chaser": (
            "Bonjour ? Toujours pas de réponse.",
            "Des nouvelles ?",
            "Ça fait {hours} heures que j'attends.",
        ),
        "thanks": (
            "Ça remarche, merci {agent} !",
            "Parfait, merci beaucoup pour votre aide.",
            "C'est bon pour moi, merci !",
        ),
        "greet": (
            "Bonjour {first} !",
            "Bonjour {first}, merci pour votre message.",
            "Bonsoir {first}.",
        ),
        "sorry": (
            "Désolée pour la gêne occasionnée.",
            "Toutes nos excuses.",
            "Je comprends que ce soit frustrant.",
        ),
        "sign": ("^{initials}", "- {agent}"),
        "close": (
            "Ravie que ce soit réglé, {first} ! N'hésitez pas si besoin.",
            "Merci pour votre retour. Bonne journée !",
        ),
        "ask_dm": (
            "Pouvez-vous nous envoyer votre numéro client en message privé ? Nous allons vérifier.",
            "Écrivez-nous en DM avec votre numéro de compte et on regarde ça.",
        ),
    },
    "de": {
        "post_open_angry": (
            "Ernsthaft, {brand}?",
            "{brand}, das ist langsam lächerlich.",
            "Unglaublich, {brand}.",
        ),
        "post_open_neutral": ("Hallo {brand},", "{brand}", "Moin {brand},"),
        "post_open_happy": ("Danke {brand}!", "Großes Lob an {brand} 👏"),
        "dm_open": ("Hallo,", "Guten Tag,", "Hi,", "Moin,"),
        "close_angry": ("Unzumutbar.", "Kümmert euch endlich!", "😡", "Ich überlege zu kündigen."),
        "close_neutral": (
            "Wisst ihr, was los ist?",
            "Könnt ihr helfen?",
            "Danke.",
            "Was soll ich tun?",
        ),
        "close_happy": ("❤️", "Danke!", "Top Service."),
        "chaser": (
            "Hallo? Warte immer noch auf eine Antwort.",
            "Gibt es was Neues?",
            "Seit {hours} Stunden keine Antwort.",
        ),
        "thanks": (
            "Läuft wieder, danke {agent}!",
            "Perfekt, vielen Dank für die Hilfe.",
            "Alles gut jetzt, danke!",
        ),
        "greet": ("Hallo {first}!", "Hallo {first}, danke für deine Nachricht.", "Hi {first}."),
        "sorry": (
            "Das tut uns sehr leid.",
            "Entschuldige bitte die Umstände.",
            "Ich verstehe, wie ärgerlich das ist.",
        ),
        "sign": ("^{initials}", "- {agent}"),
        "close": (
            "Schön, dass es wieder läuft, {first}! Melde dich gern, wenn noch etwas ist.",
            "Danke für die Rückmeldung. Einen schönen Tag noch!",
        ),
        "ask_dm": (
            "Schick uns bitte per DM deine Kundennummer, dann schauen wir uns das an.",
            "Schreib uns eine DM mit deiner Kundennummer, wir prüfen das.",
        ),
    },
}

# Customer parts: open, impact, more, detail (a private message with personal data), still.
# Agent parts: ack (public first answer), ask (private first answer), work, fix, pending, snooze.
TOPIC_PHRASES: dict[str, dict[str, Phrases]] = {
    "en": {
        "outage": {
            "open": (
                "Internet's been down {since} in {area}.",
                "No {service} at all {since}, router just blinking red.",
                "Is there an outage in {area}? Nothing is working {since}.",
                "Third outage this week. Lost the {service} again {since}.",
                "My {service} keeps cutting out every few minutes {since}.",
                "The whole street in {area} has no {service} {since}.",
                "Connection dropped {since} and hasn't come back.",
                "Status page says everything's fine but my {service} has been gone {since}.",
            ),
            "impact": (
                "I work from home and just missed a call with a client.",
                "Kids can't do their homework.",
                "Paying {amount} a month for this.",
                "Had to tether off my phone all morning.",
                "Restarted the router five times already.",
                "My mum's alarm system runs on this line.",
                "Got an essay to submit tonight.",
                "Neighbours are out too.",
            ),
            "more": (
                "Just checked again, still nothing.",
                "Also the landline's dead, so I can't even call you.",
                "Restarted the router, now the light is orange.",
                "For what it's worth, my neighbour at number {street_no} is down too.",
            ),
            "detail": (
                "Account number is {account_no}, the line is at {street_no} {street}, {area}. "
                "Router lights: power green, internet red.",
                "It's {account_no}. Already did a factory reset, no change.",
                "Account {account_no}, registered to {full_name}. Best number to reach me is "
                "{phone}.",
                "Here you go: {account_no}. Email on the account is {email}.",
            ),
            "still": (
                "Still nothing here in {area}.",
                "It came back for ten minutes and dropped again.",
                "Still down. What's the actual ETA?",
                "That's {hours} hours now with no {service}.",
            ),
            "ack": (
                "We're aware of a fault affecting {area} and engineers are on it. We expect it "
                "to be fixed {eta}.",
                "There's an issue with a street cabinet in {area}; our team is working on it "
                "right now. Service should be back {eta}.",
                "We've confirmed a network fault in {area} and a fix is in progress.",
            ),
            "ask": (
                "Sorry to hear you're offline. Could you share your account number and the "
                "lights you see on the router?",
                "Let's get you back online. What's your account number, and have you tried "
                "restarting the router?",
            ),
            "work": (
                "Thanks. I can see your router dropping off the network; a line test is running "
                "now.",
                "Got it. Your line is part of the {area} fault, reference INC-{inc}. Engineers "
                "are on site.",
            ),
            "fix": (
                "Good news: the fault in {area} has been repaired and your line looks stable on "
                "our side. Can you check?",
                "Engineers replaced a faulty card at the {area} exchange, so everything should "
                "be back now.",
                "The repair is done and I've credited {credit} to your account for the downtime.",
            ),
            "pending": (
                "Could you let me know what the router lights show now? I'll keep this open "
                "until I hear back.",
                "When you get a moment, can you run a speed test and send me the result?",
            ),
            "snooze": (
                "An engineer is booked for {day} between {slot}. I'll check in with you after "
                "the visit.",
                "The fix is scheduled overnight. I'll follow up with you on {day} to make sure "
                "it held.",
            ),
        },
        "slow_speed": {
            "open": (
                "Paying for {paid_speed} and getting {speed}.",
                "Speed test says {speed}. My plan is {paid_speed}.",
                "Every evening the {service} slows to a crawl, {speed} at best.",
                "Why is my {service} so slow {since}? Barely {speed}.",
                "Video calls keep freezing, speed test shows {speed}.",
            ),
            "impact": (
                "Can't even stream in HD.",
                "Working from home is impossible like this.",
                "Gaming is unplayable, 300 ms ping.",
                "Uploading one file is taking all day.",
            ),
            "more": (
                "Wired connection, same thing.",
                "Tried a different laptop, same result.",
                "Ran the test three times, {speed} every time.",
            ),
            "detail": (
                "Account number {account_no}. Speed test from just now: {speed} down, 2 Mbps up, "
                "wired.",
                "It's {account_no}, router is the BW Hub 3. Email {email} if you need to send "
                "anything.",
            ),
            "still": ("Still {speed} tonight.", "Better for a day, now back to {speed}."),
            "ack": (
                "That's well below what you should be getting. We're seeing congestion in "
                "{area} in the evenings and an upgrade is planned.",
                "That's not right for a {paid_speed} plan. Our network team is looking at "
                "evening speeds in {area}.",
            ),
            "ask": (
                "Let's look at that. Can you send your account number and a speed test taken on "
                "a wired connection?",
            ),
            "work": (
                "Thanks. Your line syncs at the full {paid_speed}, so the slowdown is further up "
                "our network. I've raised it with the network team.",
            ),
            "fix": (
                "We've moved your line to a less busy port and the last tests show the full "
                "{paid_speed}. Let me know how it feels this evening.",
                "The capacity upgrade in {area} went in last night; evening speeds there are "
                "back to normal.",
            ),
            "pending": (
                "Could you run another speed test this evening (wired if you can) and send it "
                "over?",
            ),
            "snooze": (
                "The network upgrade in {area} is booked for {day}. I'll check back with you "
                "after that.",
            ),
        },
        "double_charge": {
            "open": (
                "You've charged me twice for {month}.",
                "Just noticed two payments of {amount} on my card for the same bill.",
                "Why was I billed {amount} twice this month?",
                "Double charged again for {month}, second time this year.",
            ),
            "impact": (
                "That's rent money.",
                "I'm now overdrawn because of this.",
                "I pay by direct debit so this shouldn't happen.",
            ),
            "more": (
                "Bank says both payments have cleared.",
                "Just checked my banking app again, both payments are there.",
                "To be clear, I only have one account with you.",
            ),
            "detail": (
                "My account number is {account_no} and the email on the account is {email}. "
                "Both charges were on {date}: {amount} each.",
                "Account {account_no}. Invoice {invoice}, paid twice by card.",
                "It's {account_no}, billing email {email}. Happy to send a screenshot from my "
                "bank.",
            ),
            "still": ("Still no sign of the refund.", "You said 3-5 days, it's been a week."),
            "ask": (
                "I can help with that. Could you confirm your account number and the date of the "
                "two payments?",
            ),
            "work": (
                "Thanks. I can see two payments of {amount} against invoice {invoice}; the second "
                "one is a duplicate.",
            ),
            "fix": (
                "I've refunded the duplicate {amount}. Refund reference {ref}; it will reach your "
                "card in 3-5 working days.",
            ),
            "pending": (
                "Could you send me the last four digits of the card the payments came from? Then "
                "I can trace the second one.",
            ),
            "snooze": (
                "The refund {ref} is with our payments team. I'll check on {day} that it has gone "
                "through.",
            ),
        },
        "bill_increase": {
            "open": (
                "My bill went up by {delta} this month with no warning.",
                "Why is my {month} bill {amount}? It's always been less.",
                "Price rise in the middle of my contract? Didn't agree to that.",
                "Where did the extra {delta} on my bill come from?",
            ),
            "impact": (
                "Not what I signed up for.",
                "Times are tight enough as it is.",
                "I was promised a fixed price for 24 months.",
            ),
            "detail": (
                "Account {account_no}. Plan is {plan}, I signed up in March at a lower price.",
                "My account number is {account_no}, email {email}. The {month} invoice is "
                "{invoice}.",
            ),
            "still": ("Still waiting to hear why the price changed.",),
            "ask": ("Let me check that for you. What's your account number?",),
            "work": (
                "Thanks. The increase is because your 12-month discount on {plan} ended on {date}.",
            ),
            "fix": (
                "I've applied a loyalty discount of {delta} a month for the next year, so your "
                "bill goes back to what it was.",
            ),
            "pending": (
                "Would you like me to look at a cheaper plan that fits how you use it? Let me "
                "know and I'll send options.",
            ),
            "snooze": (
                "I've asked our retention team whether we can match your old price. I'll get "
                "back to you on {day}.",
            ),
        },
        "refund_chase": {
            "open": (
                "Still waiting on the refund you promised {weeks} weeks ago.",
                "Where is my refund? Told it would take 5 days, it's been {weeks} weeks.",
                "Cancelled in {month}, still haven't got my {amount} back.",
            ),
            "impact": (
                "Every time I call I get a different answer.",
                "I've been on hold for 40 minutes twice.",
            ),
            "detail": (
                "Refund should be {amount}, account {account_no}. I was given reference {ref} on "
                "the phone.",
                "Account number {account_no}, my email is {email}. The agent on the phone said "
                "refund {ref}.",
            ),
            "still": ("Refund still not here.", "Any news on the refund?"),
            "ask": (
                "Sorry you're still waiting. Could you share your account number or the refund "
                "reference?",
            ),
            "work": (
                "Thanks. Refund {ref} for {amount} was approved but stuck waiting for a "
                "manager's sign-off. I've chased it.",
            ),
            "fix": (
                "Refund {ref} for {amount} went out today. Depending on your bank it will show in "
                "2-3 working days.",
            ),
            "pending": (
                "Could you confirm the refund should go to the same card you paid with? Then I "
                "can release it.",
            ),
            "snooze": (
                "The payments team promised it for {day}; I'll check it's gone out and message "
                "you then.",
            ),
        },
        "app_bug": {
            "open": (
                "The Brightwave app crashes every time I open the {screen} tab on my {device}.",
                "Can't log in to the app since the update, it just says 'session expired'.",
                "App version {version} on {device}: the pay button is greyed out.",
                "The two-factor code for the app never arrives.",
                "{screen} page in the app shows 0 GB used all month, which is clearly wrong.",
                "App keeps logging me out on my {device}.",
            ),
            "impact": (
                "Reinstalled twice already.",
                "Need it to pay my bill before the due date.",
                "Cleared the cache, no change.",
            ),
            "more": (
                "It crashes right after the splash screen, if that helps.",
                "My partner's {device} does the same.",
                "Web version works fine, it's only the app.",
            ),
            "detail": (
                "Account {account_no}, login email {email}. {device}, app {version}.",
                "My login is {email}, phone {phone}. The error code was E-{inc}.",
            ),
            "still": ("Still crashing on {version}.", "Update came out today, same problem."),
            "ack": (
                "Thanks for flagging. Our app team is looking at an issue with the {screen} tab "
                "on version {version}; a fix is on its way.",
                "We've had a few reports of this on {version}. The app team is on it and we'll "
                "share an update soon.",
            ),
            "ask": (
                "Sorry about that. Which phone and app version are you on? And is it every "
                "time, or only sometimes?",
            ),
            "work": (
                "Thanks, that helps. I can reproduce it and have passed it to our app team with "
                "your details.",
            ),
            "fix": (
                "Version {version_next} is out now with a fix for this. Could you update and let "
                "me know?",
            ),
            "pending": (
                "Could you try logging out, clearing the app's storage and signing in again? Let "
                "me know what happens.",
            ),
            "snooze": (
                "The fix is in the next release, planned for {day}. I'll check in with you once "
                "it's out.",
            ),
        },
        "technician": {
            "open": (
                "The engineer was due between {slot} today and never showed.",
                "Took a day off work for the installation. Nobody came.",
                "Third time my install has been rescheduled.",
                "Installer turned up, said he had no cable, and left.",
            ),
            "impact": (
                "Moved in two weeks ago and still no broadband.",
                "Nobody called to say they weren't coming.",
            ),
            "detail": (
                "Order {order_no}, address {street_no} {street}, {area}. My mobile is {phone}.",
                "It's order {order_no}. Contact email {email}.",
            ),
            "still": ("Still no new date for the installation.",),
            "ack": (
                "That's really not good enough, sorry. Let's get a new appointment sorted.",
                "Sorry nobody turned up. We'll find out what happened and rebook you first.",
            ),
            "ask": (
                "I'm sorry nobody came. Could you send your order number so I can see what "
                "happened?",
            ),
            "work": (
                "Thanks. The job was cancelled at the last minute and nobody told you. I'm sorry "
                "about that.",
            ),
            "fix": (
                "I've booked a priority appointment for {day} between {slot}, and added a {credit} "
                "credit for the wasted day.",
            ),
            "pending": (
                "Which days work for you next week? I'll book the earliest slot that fits.",
            ),
            "snooze": (
                "The engineer is confirmed for {day} between {slot}. I'll check in after the "
                "visit.",
            ),
        },
        "delivery": {
            "open": (
                "My new router was supposed to arrive on {date}. Still nothing.",
                "My order has said 'processing' for a week.",
                "Courier says delivered, but there's no parcel.",
                "Where is my SIM card? Ordered it {weeks} weeks ago.",
            ),
            "impact": (
                "I'm moving my number over on Friday and need it.",
                "Paid for next-day delivery.",
            ),
            "detail": (
                "Order number {order_no}, delivery address {street_no} {street}, {area}.",
                "Order {order_no}. You can reach me on {phone} or {email}.",
            ),
            "still": ("Still no router.", "Nothing arrived today either."),
            "ack": (
                "Sorry it hasn't turned up. Couriers are running behind in {area} this week.",
                "That's not the delivery you paid for, sorry. Let's track it down.",
            ),
            "ask": ("Let me chase that. What's the order number?",),
            "work": (
                "Thanks. The courier has it marked as delivered to a neighbour; I've opened a "
                "trace.",
            ),
            "fix": ("A replacement is on its way by next-day courier; tracking is in your email.",),
            "pending": (
                "Could you check with your neighbours? The courier's photo shows a blue door.",
            ),
            "snooze": ("The courier has until {day} to find it. I'll update you then either way.",),
        },
        "roaming": {
            "open": (
                "Got a roaming charge of {amount} from my trip to {country}, but I had the "
                "travel pass.",
                "Why am I paying roaming in {country}? Your website says it's included.",
                "Came back from {country} to a {amount} bill.",
            ),
            "impact": ("That's more than the flights.", "I turned data off as soon as I landed."),
            "detail": (
                "My number is {phone}, account {account_no}. The charges are all from {date}.",
                "Account {account_no}, email {email}. Travel pass was bought in the app before I "
                "left.",
            ),
            "still": ("Still waiting to hear about the roaming charges.",),
            "ask": ("Let's look at that. What's your mobile number and account number?",),
            "work": (
                "Thanks. The travel pass started a day after you landed, so the first day's data "
                "was charged at standard rates.",
            ),
            "fix": (
                "As a one-off I've refunded the {amount} roaming charge; it will show on your "
                "next bill.",
            ),
            "pending": (
                "Could you confirm the dates you were in {country}? Then I can match them to the "
                "charges.",
            ),
            "snooze": (
                "I've asked our roaming team to check the partner network's records; I'll update "
                "you on {day}.",
            ),
        },
        "moving": {
            "open": (
                "Moving to {city} on {future_date}. How do I take my broadband with me?",
                "Can I move my contract to a new address, or do I have to start again?",
                "We're moving house next month. Is fibre available at the new place?",
            ),
            "impact": (
                "Don't want to be without internet for weeks.",
                "Last time it took a month.",
            ),
            "detail": (
                "New address is {street_no} {street}, {city}. Account {account_no}.",
                "Account number {account_no}, moving on {future_date}. Phone {phone}.",
            ),
            "still": ("Still waiting to hear if you can do the move on time.",),
            "ack": (
                "Congratulations on the move! You can take your plan with you; we just need "
                "about two weeks' notice.",
            ),
            "ask": (
                "Happy to help with the move. What's your account number and the new address?",
            ),
            "work": ("Thanks. Fibre is available at the new address, so you can keep {plan}.",),
            "fix": (
                "All booked: your service moves on {future_date}, and the new router will be "
                "there the day before.",
            ),
            "pending": (
                "Could you confirm the date you get the keys? I'll book the switch for then.",
            ),
            "snooze": (
                "I've reserved an install slot for {day}; I'll check in closer to the date.",
            ),
        },
        "sales": {
            "open": (
                "Is fibre available in {area} yet?",
                "Do you do a student discount?",
                "Thinking of switching to you. Can I keep my mobile number?",
                "What's the difference between {plan} and the plan above it?",
                "Any deals for existing customers, or only for new ones?",
            ),
            "impact": (
                "Current provider's contract ends next month.",
                "Just need something reliable for streaming and work.",
            ),
            "detail": (
                "Postcode is {postcode}, house number {street_no}. You can call me on {phone}.",
                "I'm at {street_no} {street}, {area}. Email {email}.",
            ),
            "still": ("Still keen, just waiting to hear back.",),
            "ack": (
                "Good question! {plan} is available in most of {area}; if you DM us your address "
                "we'll check your exact street.",
                "Yes, you can keep your number when you switch, and {plan} comes with a "
                "30-day guarantee.",
            ),
            "ask": ("Happy to help. What's your postcode, so I can check what's available?",),
            "work": (
                "Thanks. {plan} is available at your address, with installation in about a week.",
            ),
            "fix": ("I've sent a quote for {plan} to your email. It's valid for 14 days.",),
            "pending": ("Would you like me to book it in? Just reply here and I'll set it up.",),
            "snooze": (
                "Fibre in your street is due to go live on {day}; I'll message you as soon as it "
                "does.",
            ),
        },
        "praise": {
            "open": (
                "Shoutout to {praised} who fixed my {service} in ten minutes.",
                "Install went perfectly this morning, engineer was great.",
                "Honestly didn't expect such a quick refund. Thank you.",
                "Moved house and the internet worked from the first minute.",
                "Five years with you and never had a real problem.",
                "{praised} sorted my bill in one message. That's how it should be.",
            ),
            "impact": ("Nice to get good service for once.", "Recommending you to my neighbours."),
            "ack": (
                "This made our day, thank you! I'll make sure {praised_first} sees this.",
                "Thanks so much for taking the time to say this. We'll pass it on to the team.",
                "Love to hear it! Enjoy the fast internet.",
            ),
        },
        "cancel": {
            "open": (
                "Been with you {years} years and I'm done. How do I cancel?",
                "Want to cancel. Not interested in another offer.",
                "Moving to another provider, they're half the price. What's my exit fee?",
                "That's it, I'm switching. Third bill mistake in a row.",
            ),
            "impact": (
                "Loyalty counts for nothing apparently.",
                "New customers get better prices than me.",
            ),
            "detail": (
                "Account {account_no}. I'd like to know the exact exit fee before I decide.",
                "My account is {account_no}, email {email}. Contract started {date}.",
            ),
            "still": ("Still waiting on the exit fee.",),
            "ack": (
                "Sorry to hear that. Before you go, we'd love a chance to put things right.",
                "We don't want to lose you after {years} years. Let's see what we can do.",
            ),
            "ask": (
                "I'm sorry it's come to this. Could you share your account number so I can see "
                "your options?",
            ),
            "work": (
                "Thanks. You're out of contract, so there's no exit fee, but I can also offer "
                "{plan} at {amount} a month.",
            ),
            "fix": (
                "I've set up the new price on {plan} from your next bill. Thanks for staying "
                "with us.",
            ),
            "pending": (
                "Let me know if you'd like to take the offer, or I can go ahead with the "
                "cancellation.",
            ),
            "snooze": (
                "I've asked retention for their best offer; I'll come back to you on {day}.",
            ),
        },
    },
    "es": {
        "outage": {
            "open": (
                "Sin internet en {area} {since}.",
                "¿Hay una avería en {area}? No funciona nada {since}.",
                "El router parpadea en rojo {since} y no hay conexión.",
            ),
            "impact": ("Teletrabajo y así es imposible.", "Los niños no pueden hacer los deberes."),
            "more": ("Acabo de reiniciar el router otra vez, nada.",),
            "detail": (
                "Mi número de cliente es {account_no} y el correo {email}.",
                "Cuenta {account_no}, dirección {street} {street_no}, {area}.",
            ),
            "still": ("Sigue sin funcionar.", "Volvió diez minutos y se cayó otra vez."),
            "ack": (
                "Hay una avería que afecta a {area} y los técnicos ya están trabajando en ella. "
                "Esperamos que se resuelva {eta}.",
            ),
            "ask": (
                "Vamos a revisarlo. ¿Nos indicas tu número de cliente y qué luces ves en el "
                "router?",
            ),
            "work": (
                "Gracias. Tu línea está afectada por la avería de {area} (incidencia INC-{inc}). "
                "Los técnicos ya están allí.",
            ),
            "fix": (
                "La avería en {area} ya está reparada y tu línea se ve estable. ¿Nos confirmas "
                "que te funciona?",
            ),
            "pending": (
                "¿Puedes decirnos qué luces muestra ahora el router? Dejamos el caso abierto "
                "hasta saber de ti.",
            ),
            "snooze": (
                "Un técnico irá el {day} entre {slot}. Te escribimos después de la visita.",
            ),
        },
        "double_charge": {
            "open": (
                "Me habéis cobrado dos veces la factura de {month}.",
                "Tengo dos cargos de {amount} por la misma factura.",
                "¿Por qué me habéis cobrado {amount} dos veces este mes?",
            ),
            "impact": (
                "Ahora estoy en números rojos.",
                "Pago por domiciliación, esto no debería pasar.",
            ),
            "detail": (
                "Mi número de cliente es {account_no} y el correo es {email}. Los dos cargos son "
                "del {date}.",
                "Cuenta {account_no}, factura {invoice}, pagada dos veces con la tarjeta.",
            ),
            "still": ("Todavía no me ha llegado el reembolso.",),
            "ask": (
                "Te ayudo con eso. ¿Me confirmas tu número de cliente y la fecha de los cargos?",
            ),
            "work": (
                "Gracias. Veo dos pagos de {amount} de la factura {invoice}; el segundo es un "
                "duplicado.",
            ),
            "fix": (
                "He devuelto el cargo duplicado de {amount}. Referencia {ref}; lo verás en tu "
                "tarjeta en 3-5 días hábiles.",
            ),
            "pending": (
                "¿Me indicas los cuatro últimos dígitos de la tarjeta? Así localizo el segundo "
                "cargo.",
            ),
            "snooze": (
                "El reembolso {ref} está con el equipo de pagos. El {day} compruebo que se haya "
                "hecho.",
            ),
        },
        "app_bug": {
            "open": (
                "La app de Brightwave se cierra cada vez que abro {screen} en mi {device}.",
                "No puedo entrar en la app desde la actualización, dice 'sesión caducada'.",
                "Con la versión {version} en mi {device} el botón de pagar sale desactivado.",
            ),
            "impact": (
                "Ya la he reinstalado dos veces.",
                "Necesito pagar la factura antes del viernes.",
            ),
            "detail": ("Cuenta {account_no}, email de acceso {email}. {device}, app {version}.",),
            "still": ("Sigue fallando con la {version}.",),
            "ask": ("Vaya, lo siento. ¿Qué móvil y qué versión de la app usas?",),
            "work": ("Gracias, con eso puedo reproducirlo. Se lo paso al equipo de la app.",),
            "fix": (
                "Ya está disponible la versión {version_next} con la corrección. ¿Puedes "
                "actualizar y contarnos?",
            ),
            "pending": (
                "¿Puedes cerrar sesión, borrar los datos de la app y volver a entrar? Nos cuentas "
                "qué pasa.",
            ),
            "snooze": (
                "La corrección sale en la próxima versión, prevista para el {day}. Te escribo "
                "cuando esté disponible.",
            ),
        },
        "praise": {
            "open": (
                "Gracias a {praised} por arreglarme el {service} en diez minutos.",
                "La instalación de esta mañana ha ido perfecta, el técnico un crack.",
                "No esperaba un reembolso tan rápido. ¡Gracias!",
            ),
            "impact": ("Da gusto que te atiendan así.",),
            "ack": (
                "¡Qué alegría leer esto! Se lo haremos llegar a {praised_first}.",
                "Muchas gracias por tomarte el tiempo de escribirnos. Se lo pasamos al equipo.",
            ),
        },
    },
    "fr": {
        "outage": {
            "open": (
                "Plus d'internet {since} à {area}.",
                "Panne à {area} ? Rien ne fonctionne {since}.",
                "La box clignote en rouge {since}, aucune connexion.",
            ),
            "impact": (
                "Je suis en télétravail, c'est impossible.",
                "Les enfants ne peuvent pas faire leurs devoirs.",
            ),
            "more": ("J'ai encore redémarré la box, rien.",),
            "detail": (
                "Mon numéro client est {account_no}, e-mail {email}.",
                "Compte {account_no}, adresse {street_no} {street}, {area}.",
            ),
            "still": ("Toujours rien.", "Revenu dix minutes puis recoupé."),
            "ack": (
                "Une panne touche {area} et nos techniciens sont sur place. Retour prévu {eta}.",
            ),
            "ask": (
                "On regarde ça. Pouvez-vous nous donner votre numéro client et les voyants "
                "allumés sur la box ?",
            ),
            "work": (
                "Merci. Votre ligne fait partie de l'incident INC-{inc} à {area}. Les techniciens "
                "interviennent.",
            ),
            "fix": (
                "La panne à {area} est réparée et votre ligne est stable de notre côté. "
                "Pouvez-vous vérifier ?",
            ),
            "pending": (
                "Pouvez-vous nous dire quels voyants sont allumés maintenant ? Nous gardons le "
                "dossier ouvert.",
            ),
            "snooze": (
                "Un technicien passe {day} entre {slot}. Je reviens vers vous après "
                "l'intervention.",
            ),
        },
        "double_charge": {
            "open": (
                "Vous m'avez prélevé deux fois la même facture ce mois-ci.",
                "Deux prélèvements de {amount} pour la même facture.",
                "Pourquoi ai-je payé {amount} deux fois ce mois-ci ?",
            ),
            "impact": (
                "Je suis à découvert à cause de ça.",
                "Je suis en prélèvement automatique, ça ne devrait pas arriver.",
            ),
            "detail": (
                "Mon numéro client est {account_no}, e-mail {email}. Les deux prélèvements datent "
                "du {date}.",
                "Compte {account_no}, facture {invoice}, payée deux fois.",
            ),
            "still": ("Toujours pas de remboursement.",),
            "ask": (
                "Je m'en occupe. Pouvez-vous me confirmer votre numéro client et la date des "
                "prélèvements ?",
            ),
            "work": (
                "Merci. Je vois bien deux paiements de {amount} pour la facture {invoice} ; le "
                "second est un doublon.",
            ),
            "fix": (
                "J'ai remboursé le doublon de {amount}. Référence {ref}, sous 3 à 5 jours ouvrés.",
            ),
            "pending": (
                "Pouvez-vous m'indiquer les quatre derniers chiffres de la carte ? Je pourrai "
                "tracer le second paiement.",
            ),
            "snooze": (
                "Le remboursement {ref} est chez notre service paiements. Je vérifie {day} qu'il "
                "est bien parti.",
            ),
        },
        "app_bug": {
            "open": (
                "L'appli Brightwave plante dès que j'ouvre {screen} sur mon {device}.",
                "Impossible de me connecter à l'appli depuis la mise à jour : « session expirée ».",
                "Version {version} sur {device} : le bouton payer est grisé.",
            ),
            "impact": ("Déjà réinstallée deux fois.", "Je dois payer ma facture avant vendredi."),
            "detail": ("Compte {account_no}, identifiant {email}. {device}, appli {version}.",),
            "still": ("Toujours le même bug en {version}.",),
            "ask": (
                "Désolée pour ça. Quel téléphone et quelle version de l'appli utilisez-vous ?",
            ),
            "work": (
                "Merci, j'arrive à reproduire le problème. Je le transmets à l'équipe de l'appli.",
            ),
            "fix": (
                "La version {version_next} corrige ce problème. Pouvez-vous mettre à jour et nous "
                "dire ?",
            ),
            "pending": (
                "Pouvez-vous vous déconnecter, vider les données de l'appli et vous reconnecter ? "
                "Tenez-moi au courant.",
            ),
            "snooze": (
                "Le correctif arrive dans la prochaine version, prévue {day}. Je reviens vers "
                "vous à sa sortie.",
            ),
        },
        "praise": {
            "open": (
                "Merci à {praised} qui a réparé ma connexion en dix minutes.",
                "Installation parfaite ce matin, technicien très pro.",
                "Remboursement reçu en deux jours, je ne m'y attendais pas.",
            ),
            "impact": ("Ça fait plaisir d'être bien servi.",),
            "ack": (
                "Merci beaucoup pour ce message ! Je transmets à {praised_first}.",
                "Ça nous fait très plaisir, merci d'avoir pris le temps de l'écrire.",
            ),
        },
    },
    "de": {
        "outage": {
            "open": (
                "Seit {since} kein Internet in {area}.",
                "Gibt es eine Störung in {area}? Seit {since} geht nichts mehr.",
                "Der Router blinkt rot, seit {since} keine Verbindung.",
            ),
            "impact": (
                "Ich arbeite im Homeoffice, so geht das nicht.",
                "Die Kinder können ihre Hausaufgaben nicht machen.",
            ),
            "more": ("Router gerade nochmal neu gestartet, nichts.",),
            "detail": (
                "Meine Kundennummer ist {account_no}, E-Mail {email}.",
                "Kundennummer {account_no}, Adresse {street} {street_no}, {area}.",
            ),
            "still": ("Geht immer noch nicht.", "War zehn Minuten da und ist wieder weg."),
            "ack": (
                "In {area} gibt es eine Störung, unsere Techniker sind dran. Wir rechnen mit "
                "einer Lösung {eta}.",
            ),
            "ask": (
                "Das schauen wir uns an. Wie lautet deine Kundennummer und welche Lampen leuchten "
                "am Router?",
            ),
            "work": (
                "Danke. Deine Leitung gehört zur Störung INC-{inc} in {area}. Die Techniker sind "
                "vor Ort.",
            ),
            "fix": (
                "Die Störung in {area} ist behoben und deine Leitung ist bei uns stabil. Kannst "
                "du das bestätigen?",
            ),
            "pending": (
                "Kannst du uns sagen, welche Lampen jetzt leuchten? Wir lassen den Fall so lange "
                "offen.",
            ),
            "snooze": (
                "Ein Techniker kommt am {day} zwischen {slot}. Ich melde mich nach dem Termin.",
            ),
        },
        "double_charge": {
            "open": (
                "Ihr habt die Rechnung für {month} zweimal abgebucht.",
                "Zwei Abbuchungen über {amount} für dieselbe Rechnung.",
                "Warum wurden mir diesen Monat zweimal {amount} abgebucht?",
            ),
            "impact": (
                "Jetzt ist mein Konto im Minus.",
                "Ich zahle per Lastschrift, das darf nicht passieren.",
            ),
            "detail": (
                "Meine Kundennummer ist {account_no}, E-Mail {email}. Beide Abbuchungen vom "
                "{date}.",
                "Kundennummer {account_no}, Rechnung {invoice}, zweimal bezahlt.",
            ),
            "still": ("Die Erstattung ist immer noch nicht da.",),
            "ask": (
                "Ich helfe dir gern. Kannst du mir deine Kundennummer und das Datum der "
                "Abbuchungen nennen?",
            ),
            "work": (
                "Danke. Ich sehe zwei Zahlungen über {amount} für Rechnung {invoice}; die zweite "
                "ist doppelt.",
            ),
            "fix": (
                "Ich habe die doppelte Zahlung von {amount} erstattet. Referenz {ref}, in 3-5 "
                "Werktagen auf deinem Konto.",
            ),
            "pending": (
                "Kannst du mir die letzten vier Ziffern deiner IBAN schicken? Dann kann ich die "
                "zweite Zahlung zuordnen.",
            ),
            "snooze": (
                "Die Erstattung {ref} liegt bei unserer Zahlungsabteilung. Ich prüfe am {day}, ob "
                "sie raus ist.",
            ),
        },
        "app_bug": {
            "open": (
                "Die Brightwave-App stürzt jedes Mal ab, wenn ich {screen} auf meinem {device} "
                "öffne.",
                "Seit dem Update kann ich mich nicht mehr in der App anmelden: 'Sitzung "
                "abgelaufen'.",
                "App-Version {version} auf dem {device}: Der Bezahlen-Button ist ausgegraut.",
            ),
            "impact": (
                "Schon zweimal neu installiert.",
                "Ich muss die Rechnung bis Freitag bezahlen.",
            ),
            "detail": ("Kundennummer {account_no}, Login {email}. {device}, App {version}.",),
            "still": ("Stürzt mit {version} immer noch ab.",),
            "ask": ("Das tut mir leid. Welches Handy und welche App-Version nutzt du?",),
            "work": (
                "Danke, damit kann ich es nachstellen. Ich gebe es an unser App-Team weiter.",
            ),
            "fix": (
                "Version {version_next} ist draußen und behebt den Fehler. Kannst du "
                "aktualisieren und Bescheid geben?",
            ),
            "pending": (
                "Kannst du dich abmelden, die App-Daten löschen und dich neu anmelden? Sag mir, "
                "was passiert.",
            ),
            "snooze": (
                "Der Fix kommt mit dem nächsten Release am {day}. Ich melde mich, sobald es da "
                "ist.",
            ),
        },
        "praise": {
            "open": (
                "Danke an {praised} für die schnelle Hilfe mit dem Router.",
                "Installation heute Morgen lief perfekt, der Techniker war super.",
                "Erstattung nach zwei Tagen da, hätte ich nicht gedacht.",
            ),
            "impact": ("So macht Kundenservice Spaß.",),
            "ack": (
                "Vielen Dank für das Lob! Ich gebe es an {praised_first} weiter.",
                "Das freut uns riesig, danke, dass du dir die Zeit genommen hast.",
            ),
        },
    },
}

# Internal notes, by topic (plus "vip" and "any"); the team writes them in English.
NOTES: Phrases = {
    "outage": (
        "Line test on {account_no}: sync drops every ~10 min. Part of incident INC-{inc} ({area}).",
        "Linked to INC-{inc}; {neighbours} other customers in {area} affected. Credit approved if "
        "down more than 24h.",
        "Customer has had 3 outages this month. Offer {credit} credit if it happens again.",
    ),
    "slow_speed": (
        "Sync at {paid_speed}, throughput {speed} in peak hours. Congestion ticket NET-{inc} open "
        "for {area}.",
        "Wi-Fi channel was congested; advised moving the hub. Check again after the weekend.",
    ),
    "double_charge": (
        "Duplicate payment confirmed on {invoice} ({amount}). Refund {ref} raised, payments team "
        "notified.",
        "Second duplicate this year for this customer; flagged to billing ops (BILL-{inc}).",
    ),
    "bill_increase": (
        "Promo on {plan} ended {date}. Offered loyalty discount, within agent limits.",
        "Customer says the price was promised fixed at signup; asked sales for the call recording.",
    ),
    "refund_chase": (
        "Refund {ref} ({amount}) stuck in approval since {date}. Escalated to payments lead.",
    ),
    "app_bug": (
        "Reproduced on {device} with {version}: crash in {screen}. Bug APP-{inc} filed.",
        "Known issue APP-{inc}, fixed in {version_next}. Reply with the update note when it ships.",
    ),
    "technician": (
        "Order {order_no}: no-show, job cancelled without notice. Priority rebook + {credit} "
        "goodwill credit.",
    ),
    "delivery": ("Courier trace CR-{inc} on {order_no}. Send replacement if not found by {day}.",),
    "roaming": ("Travel pass activated late ({date}). One-off refund of {amount} approved.",),
    "moving": ("Home move to {city} on {future_date}. Fibre available, no new contract needed.",),
    "sales": ("Prospect: wants {plan}. Quote sent. Follow up if no reply in a week.",),
    "praise": ("Positive feedback for {praised_first}, forwarded to the team lead.",),
    "cancel": (
        "Churn risk: {years} years' tenure. Retention offer {plan} at {amount}/month, within "
        "policy.",
    ),
    "vip": (
        "{followers} followers. Keep public replies short and friendly; comms team is in the loop.",
        "High-profile customer ({followers} followers). Supervisor to review before anything "
        "public.",
        "Influencer account, {followers} followers. Already posted about this twice today.",
    ),
    "any": (
        "Customer called the contact centre about this yesterday too; same story.",
        "Checked the account history: no previous complaints.",
        "Asked for a call back after 5pm if we need to phone.",
        "Tone is rising. Let's get this one closed today.",
    ),
}

# Words drawn once per conversation to fill the slots above, by language where they differ.
SLOT_WORDS: dict[str, dict[str, tuple[str, ...]]] = {
    "en": {
        "since": (
            "since 7am",
            "since this morning",
            "since last night",
            "for about five hours",
            "since lunchtime",
            "all evening",
            "since Sunday",
            "for two days",
        ),
        "service": ("internet", "broadband", "wifi", "fibre", "connection"),
        "area": (
            "Eastside",
            "Riverside",
            "Old Town",
            "the Harbour district",
            "Maple Heights",
            "Northgate",
            "Kingsbridge",
            "Westfield",
            "Hillcrest",
            "the Docklands",
            "Millbrook",
            "St Anne's",
        ),
        "street": (
            "Elm Street",
            "Station Road",
            "Park Avenue",
            "Mill Lane",
            "Church Street",
            "Queens Road",
            "Orchard Close",
            "Victoria Terrace",
        ),
        "screen": ("Usage", "Bills", "My plan", "Payments", "Add-ons"),
        "slot": ("8am and 12pm", "12pm and 4pm", "4pm and 8pm"),
        "eta": (
            "by 6pm today",
            "within the next two hours",
            "later this evening",
            "by tomorrow morning",
        ),
        "days": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
        "months": (
            "January",
            "February",
            "March",
            "April",
            "May",
            "June",
            "July",
            "August",
            "September",
            "October",
            "November",
            "December",
        ),
    },
    "es": {
        "since": (
            "desde esta mañana",
            "desde anoche",
            "desde hace cinco horas",
            "desde el domingo",
        ),
        "service": ("internet", "wifi", "router"),
        "area": ("Chamberí", "Triana", "Gràcia", "el Cabanyal", "Malasaña"),
        "street": ("calle Mayor", "calle del Olmo", "avenida de la Paz"),
        "screen": ("Consumo", "Facturas", "Mi tarifa"),
        "slot": ("las 8 y las 12", "las 12 y las 16", "las 16 y las 20"),
        "eta": ("antes de las 18:00", "en las próximas dos horas", "esta noche"),
        "days": ("lunes", "martes", "miércoles", "jueves", "viernes", "sábado", "domingo"),
        "months": (
            "enero",
            "febrero",
            "marzo",
            "abril",
            "mayo",
            "junio",
            "julio",
            "agosto",
            "septiembre",
            "octubre",
            "noviembre",
            "diciembre",
        ),
    },
    "fr": {
        "since": ("depuis ce matin", "depuis hier soir", "depuis cinq heures", "depuis dimanche"),
        "service": ("connexion", "box", "wifi"),
        "area": ("la Croix-Rousse", "Belleville", "Saint-Michel", "Chartrons", "Vieux-Lille"),
        "street": ("rue des Lilas", "avenue Jean-Jaurès", "rue de la Paix"),
        "screen": ("Consommation", "Factures", "Mon forfait"),
        "slot": ("8 h et 12 h", "12 h et 16 h", "16 h et 20 h"),
        "eta": ("avant 18 h", "dans les deux prochaines heures", "dans la soirée"),
        "days": ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"),
        "months": (
            "janvier",
            "février",
            "mars",
            "avril",
            "mai",
            "juin",
            "juillet",
            "août",
            "septembre",
            "octobre",
            "novembre",
            "décembre",
        ),
    },
    "de": {
        "since": ("heute Morgen", "gestern Abend", "über fünf Stunden", "Sonntag"),
        "service": ("Internet", "WLAN", "Glasfaser"),
        "area": ("Ehrenfeld", "Altona", "Kreuzberg", "Haidhausen", "Connewitz"),
        "street": ("Lindenstraße", "Bahnhofstraße", "Gartenweg"),
        "screen": ("Verbrauch", "Rechnungen", "Mein Tarif"),
        "slot": ("8 und 12 Uhr", "12 und 16 Uhr", "16 und 20 Uhr"),
        "eta": ("bis 18 Uhr", "in den nächsten zwei Stunden", "im Laufe des Abends"),
        "days": ("Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag", "Sonntag"),
        "months": (
            "Januar",
            "Februar",
            "März",
            "April",
            "Mai",
            "Juni",
            "Juli",
            "August",
            "September",
            "Oktober",
            "November",
            "Dezember",
        ),
    },
}
