"""The studio's five script templates (editable in the admin afterwards) and the hourly topic
refresh (feeds, knowledge and customers' questions into the topic pool)."""

from django.db import migrations


# The avatar's gesture per kind of section (keys of the renderer's poses).
POSES = {
    "hook": "wave",
    "greeting": "wave",
    "alert": "point",
    "how": "explain",
    "details": "explain",
    "rules": "explain",
    "insight": "explain",
    "apply": "point",
    "cta": "point",
    "contact": "point",
}


def _section(key, zh, en, share, lead_zh, lead_en, pose=None):
    pose = pose or POSES.get(key, "present")
    return {
        "key": key,
        "heading": {"zh-hans": zh, "en": en},
        "share": share,
        "pose": pose,
        "lead": {"zh-hans": lead_zh, "en": lead_en},
    }


TEMPLATES = [
    {
        "key": "card-promotion",
        "kind": "card_promotion",
        "name_zh": "信用卡推广",
        "name_en": "Credit-card promotion",
        "default_seconds": 60,
        "default_tone": "friendly",
        "sections": [
            _section(
                "hook",
                "开场",
                "Hook",
                0.2,
                "您好！今天给您介绍：{topic}。",
                "Hello! Today: {topic}.",
            ),
            _section(
                "benefits",
                "卡片权益",
                "Benefits",
                0.5,
                "这张卡的亮点是：",
                "What this card offers:",
            ),
            _section(
                "apply",
                "如何申请",
                "How to apply",
                0.3,
                "想了解更多，请到海港银行网点或手机银行咨询办理。",
                "To apply, visit a Harbour Bank branch or our mobile app.",
            ),
        ],
    },
    {
        "key": "anti-fraud",
        "kind": "anti_fraud",
        "name_zh": "反诈提醒",
        "name_en": "Anti-fraud alert",
        "default_seconds": 45,
        "default_tone": "formal",
        "anti_fraud_rules": True,
        "sections": [
            _section(
                "alert",
                "警示",
                "Alert",
                0.25,
                "警惕新骗局：{topic}。",
                "Beware of a new scam: {topic}.",
            ),
            _section(
                "how",
                "骗局手法",
                "How it works",
                0.4,
                "骗子通常这样做：",
                "This is how fraudsters operate:",
            ),
            _section(
                "protect",
                "如何防范",
                "Protect yourself",
                0.35,
                "海港银行不会向您索要验证码或密码，也不会要求您转账到所谓的安全账户。",
                "Harbour Bank will never ask for your verification code or password, "
                "or ask you to move money to a so-called safe account.",
            ),
        ],
    },
    {
        "key": "product-intro",
        "kind": "product",
        "name_zh": "产品介绍",
        "name_en": "Product introduction",
        "default_seconds": 60,
        "default_tone": "formal",
        "requires_risk_disclosure": True,
        "sections": [
            _section("intro", "产品概览", "Overview", 0.3, "认识一下：{topic}。", "Meet {topic}."),
            _section(
                "details",
                "产品要点",
                "Key facts",
                0.5,
                "您需要了解的要点：",
                "What you should know:",
            ),
            _section(
                "next",
                "了解更多",
                "Find out more",
                0.2,
                "详情请以产品说明书为准，欢迎咨询网点理财经理。",
                "See the product documentation for details, or talk to a relationship "
                "manager at your branch.",
            ),
        ],
    },
    {
        "key": "campaign",
        "kind": "campaign",
        "name_zh": "营销活动",
        "name_en": "Campaign",
        "default_seconds": 30,
        "default_tone": "energetic",
        "sections": [
            _section(
                "hook", "活动来了", "It's on", 0.3, "好消息：{topic}！", "Good news: {topic}!"
            ),
            _section("rules", "活动规则", "How it works", 0.5, "活动内容：", "The details:"),
            _section(
                "cta",
                "立即参与",
                "Join now",
                0.2,
                "活动名额有限，详情见活动页面。",
                "See the campaign page for the full terms.",
            ),
        ],
    },
    {
        "key": "wm-greeting",
        "kind": "personal",
        "name_zh": "理财经理问候",
        "name_en": "Wealth-manager personal greeting",
        "default_seconds": 30,
        "default_tone": "friendly",
        "requires_risk_disclosure": True,
        "sections": [
            _section(
                "greeting",
                "问候",
                "Greeting",
                0.3,
                "您好，我是您的专属理财经理。今天和您聊聊：{topic}。",
                "Hello, I'm your relationship manager. Today, a word about {topic}.",
            ),
            _section("insight", "要点", "Insight", 0.5, "值得关注的是：", "Worth knowing:"),
            _section(
                "contact",
                "联系我",
                "Get in touch",
                0.2,
                "有任何问题，欢迎扫描屏幕上的二维码联系我。",
                "Any questions? Scan the QR code on screen to reach me.",
            ),
        ],
    },
]

SCHEDULE_NAME = "studio-topic-refresh"


def create(apps, schema_editor):
    ScriptTemplate = apps.get_model("content", "ScriptTemplate")
    for data in TEMPLATES:
        fields = dict(data)
        key = fields.pop("key")
        ScriptTemplate.objects.get_or_create(key=key, defaults=fields)
    Schedule = apps.get_model("django_q", "Schedule")
    if not Schedule.objects.filter(name=SCHEDULE_NAME).exists():
        Schedule.objects.create(
            name=SCHEDULE_NAME,
            func="content.tasks.studio_topic_refresh_task",
            schedule_type="H",  # Schedule.HOURLY
            repeats=-1,
        )


def drop(apps, schema_editor):
    apps.get_model("django_q", "Schedule").objects.filter(name=SCHEDULE_NAME).delete()
    apps.get_model("content", "ScriptTemplate").objects.filter(
        key__in=[t["key"] for t in TEMPLATES]
    ).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("content", "0004_studio"),
        ("django_q", "0019_alter_task_options_alter_ormq_key_alter_ormq_lock_and_more"),
    ]

    operations = [migrations.RunPython(create, drop)]
