"""Interaction text templates: per language, topic and sentiment, with synonym slots.

A text is one template of (language, topic, sentiment) whose ``{s}`` slot is filled with one of the
topic's synonyms, optionally framed by an opener and a closer of the same sentiment (mixed lengths).
Negation is in the templates themselves ("not happy", "no problem", "没有通知"), so a bag of words
alone does not decide the sentiment. English texts may get a typo (one letter dropped) in
``interactions.py``. These are the planted topics and sentiments that ``truth/interactions`` records.
"""

from __future__ import annotations

TOPICS = (
    "fees",
    "card_blocked",
    "app_login",
    "interest_rate",
    "staff_service",
    "transfer_delay",
    "fraud_report",
)
SENTIMENTS = ("negative", "neutral", "positive")
LANGUAGES = ("en", "zh")

SYNONYMS: dict[str, dict[str, list[str]]] = {
    "en": {
        "fees": ["fee", "charge", "commission", "annual fee", "maintenance charge", "service charge"],
        "card_blocked": ["card", "debit card", "credit card", "bank card"],
        "app_login": ["app", "mobile app", "online banking", "banking app"],
        "interest_rate": ["interest rate", "loan rate", "deposit rate", "mortgage rate"],
        "staff_service": ["staff", "branch staff", "call centre agent", "advisor", "teller"],
        "transfer_delay": ["transfer", "wire transfer", "payment", "remittance"],
        "fraud_report": [
            "unauthorised transaction",
            "suspicious charge",
            "fraudulent payment",
            "scam payment",
        ],
    },
    "zh": {
        "fees": ["手续费", "年费", "管理费", "服务费"],
        "card_blocked": ["银行卡", "信用卡", "借记卡"],
        "app_login": ["手机银行", "网上银行", "手机应用"],
        "interest_rate": ["贷款利率", "存款利率", "房贷利率"],
        "staff_service": ["柜员", "客服", "客户经理", "工作人员"],
        "transfer_delay": ["转账", "汇款", "跨境汇款"],
        "fraud_report": ["盗刷", "可疑交易", "诈骗交易", "未授权交易"],
    },
}

TEMPLATES: dict[str, dict[str, dict[str, list[str]]]] = {
    "en": {
        "fees": {
            "negative": [
                "Why was I charged a {s} again",
                "The {s} is far too high and I am angry",
                "You took a {s} without telling me, this is unacceptable",
                "I am not happy about the {s} on my account",
            ],
            "neutral": [
                "Can you explain the {s} on my statement",
                "Which {s} applies to my account",
                "I would like a list of every {s}",
            ],
            "positive": ["Thanks for refunding the {s}", "Glad to see the {s} was waived, great"],
        },
        "card_blocked": {
            "negative": [
                "My {s} was blocked for no reason, terrible",
                "The {s} got frozen while I was abroad and nobody helped",
                "I cannot pay because my {s} is locked again, awful",
            ],
            "neutral": ["My {s} was blocked, how do I unblock it", "How do I reactivate my {s}"],
            "positive": ["Thank you for unblocking my {s} so quickly", "The {s} works again, excellent"],
        },
        "app_login": {
            "negative": [
                "The {s} keeps crashing and I could not pay, useless",
                "I cannot log in to the {s} since the update, very frustrating",
                "The {s} logs me out all the time, worst experience",
            ],
            "neutral": ["How do I reset my password for the {s}", "Is the {s} available on a new phone"],
            "positive": ["The new {s} works great", "Love the {s}, login is easy now"],
        },
        "interest_rate": {
            "negative": [
                "The {s} on my loan is ridiculous",
                "You raised the {s} without notice, I am disappointed",
                "The {s} is not fair at all",
            ],
            "neutral": ["What is the {s} for a time deposit", "Will the {s} change next year"],
            "positive": ["Happy with the {s} you offered", "The {s} is good, thank you"],
        },
        "staff_service": {
            "negative": [
                "The {s} was rude and unhelpful",
                "Nobody from the {s} answered my call, poor service",
                "I waited an hour and the {s} ignored me",
            ],
            "neutral": ["I would like to speak with the {s} about my account", "When is the {s} available"],
            "positive": ["The {s} was very friendly and helpful", "Thanks to the {s} for the excellent help"],
        },
        "transfer_delay": {
            "negative": [
                "My {s} has not arrived after five days, unacceptable",
                "The {s} is still pending, this is a disaster",
                "Why is my {s} delayed again, I am upset",
            ],
            "neutral": ["When will my {s} arrive", "How long does a {s} abroad take"],
            "positive": ["My {s} arrived quickly, thank you", "No problem with the {s}, it was fast"],
        },
        "fraud_report": {
            "negative": [
                "There is a {s} on my card and I am furious",
                "I found a {s} and nobody helps me, horrible",
                "Someone stole money with a {s}, I am scared",
            ],
            "neutral": ["I want to report a {s} on my card", "Please check a {s} on my statement"],
            "positive": ["Thanks for stopping the {s} so fast", "Great that you caught the {s}"],
        },
    },
    "zh": {
        "fees": {
            "negative": ["为什么又扣了我{s}", "{s}太高了，非常不满意", "没有通知就收{s}，太过分了"],
            "neutral": ["请解释一下账单上的{s}", "我想了解{s}的标准"],
            "positive": ["谢谢退还{s}", "{s}减免了，很满意"],
        },
        "card_blocked": {
            "negative": ["我的{s}无缘无故被冻结了，很生气", "{s}被锁了，没法付款，太糟糕了"],
            "neutral": ["{s}被冻结了，请问怎么解冻", "请告诉我如何激活{s}"],
            "positive": ["谢谢很快帮我解冻{s}", "{s}恢复正常了，很好"],
        },
        "app_login": {
            "negative": ["{s}老是闪退，付不了款，太差了", "更新后{s}登录不了，很失望"],
            "neutral": ["{s}的密码怎么重置", "{s}支持新手机吗"],
            "positive": ["新版{s}很好用", "{s}登录很方便，喜欢"],
        },
        "interest_rate": {
            "negative": ["{s}太高了，不合理", "没有通知就提高了{s}，很不满"],
            "neutral": ["定期的{s}是多少", "明年{s}会调整吗"],
            "positive": ["对{s}很满意", "{s}不错，谢谢"],
        },
        "staff_service": {
            "negative": ["{s}态度很差，很不耐烦", "打电话给{s}一直没人接，非常失望"],
            "neutral": ["我想找{s}咨询一下账户", "{s}几点上班"],
            "positive": ["{s}非常热情，服务很好", "感谢{s}的耐心帮助"],
        },
        "transfer_delay": {
            "negative": ["{s}五天了还没到账，太慢了", "{s}一直在处理中，无法接受"],
            "neutral": ["{s}多久能到账", "境外{s}需要几天"],
            "positive": ["{s}很快就到账了，谢谢", "{s}没有问题，很及时"],
        },
        "fraud_report": {
            "negative": ["我的卡出现{s}，非常气愤", "发现{s}却没人处理，太糟糕了"],
            "neutral": ["我要举报一笔{s}", "请核查账单上的{s}"],
            "positive": ["感谢及时拦截了{s}", "{s}处理得很快，满意"],
        },
    },
}

# Sentences around the core one, of the same sentiment; "" keeps a text short.
OPENERS: dict[str, dict[str, list[str]]] = {
    "en": {
        "negative": ["", "", "This is the third time I write. ", "I have been a loyal customer for years. "],
        "neutral": ["", "", "Hello. ", "Good morning. "],
        "positive": ["", "", "Hi. ", "Just a quick note. "],
    },
    "zh": {
        "negative": ["", "", "这是我第三次反映了。", "我是多年的老客户。"],
        "neutral": ["", "", "你好。", "早上好。"],
        "positive": ["", "", "你好。", "简单说一下。"],
    },
}
CLOSERS: dict[str, dict[str, list[str]]] = {
    "en": {
        "negative": ["", "", ". I will move my money to another bank", ". Fix this now"],
        "neutral": ["", "", ". Regards", ". Thank you for the information"],
        "positive": ["", "", ". Keep it up", ". Very satisfied"],
    },
    "zh": {
        "negative": ["", "", "。我要换一家银行", "。请马上解决"],
        "neutral": ["", "", "。谢谢", "。麻烦回复"],
        "positive": ["", "", "。继续保持", "。非常满意"],
    },
}
