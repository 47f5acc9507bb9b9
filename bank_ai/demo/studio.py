"""The video studio's demo: local feeds, the style catalogue, wealth managers, publish targets,
a filled topic pool and one approved anti-fraud script (all found by natural key: idempotent)."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib.auth import get_user_model
from django.db import transaction

from content.models import (
    FeedSource,
    PublishTarget,
    ScriptTemplate,
    StyleEntry,
    Topic,
    VideoScript,
    WealthManager,
)

FEEDS = [
    ("金融时讯（演示）", "content/demo_data/feeds/finance-news.rss", "zh-hans"),
    ("Banking industry digest (demo)", "content/demo_data/feeds/industry.atom", "en"),
]

# Labels for the renderer's keys; a key the renderer adds later gets its key as its label.
LABELS: dict[str, tuple[str, str]] = {
    "navy_suit": ("藏青西装", "Navy suit"),
    "charcoal_suit": ("炭灰西装", "Charcoal suit"),
    "teal_blazer": ("青绿西装外套", "Teal blazer"),
    "burgundy_blazer": ("酒红西装外套", "Burgundy blazer"),
    "branch_hall": ("网点大堂", "Branch hall"),
    "studio_blue": ("蓝色演播室", "Blue studio"),
    "city_view": ("城市景观", "City view"),
    "plain_light": ("浅色纯背景", "Plain light"),
    "credit_card": ("信用卡", "Credit card"),
    "chart": ("图表", "Chart"),
    "phone": ("手机", "Phone"),
    "shield": ("安全盾牌", "Security shield"),
    "coins": ("金币", "Coins"),
    "neutral": ("自然站姿", "Neutral"),
    "present": ("讲解", "Presenting"),
    "point": ("指向屏幕", "Pointing"),
    "wave": ("挥手", "Waving"),
    "explain": ("说明", "Explaining"),
    "friendly": ("亲切", "Friendly"),
    "formal": ("正式", "Formal"),
    "energetic": ("活力", "Energetic"),
}
# Which templates, topic words and tones each key suits (keys the renderer lacks are skipped).
FITS: dict[str, tuple[tuple[str, ...], str, tuple[str, ...]]] = {
    "navy_suit": (("product-intro", "wm-greeting"), "理财 养老金 wealth pension", ("formal",)),
    "charcoal_suit": (("anti-fraud",), "诈骗 骗局 安全账户 scam fraud", ("formal",)),
    "teal_blazer": (("campaign",), "活动 优惠 offer", ("friendly", "energetic")),
    "burgundy_blazer": (("card-promotion",), "信用卡 返现 积分 card cashback", ("energetic",)),
    "branch_hall": (("wm-greeting",), "网点 branch", ("friendly",)),
    "studio_blue": (("anti-fraud", "product-intro"), "诈骗 scam", ("formal",)),
    "city_view": (("campaign", "card-promotion"), "消费 旺季 shopping holiday", ("energetic",)),
    "plain_light": ((), "", ("friendly",)),
    "shield": (("anti-fraud",), "诈骗 骗局 安全 scam fraud safe", ()),
    "credit_card": (("card-promotion",), "信用卡 分期 积分 card contactless", ()),
    "phone": (("anti-fraud",), "客服 电话 短信 call phone", ()),
    "chart": (("product-intro", "wm-greeting"), "理财 养老金 基金 wealth fund", ()),
    "coins": (("campaign",), "返现 积分 cashback points", ()),
    "present": (("product-intro", "card-promotion"), "", ()),
    "explain": (("anti-fraud", "product-intro"), "", ()),
}

MANAGERS = [
    ("林晓", "高级理财经理", "021-6000 1234", "https://harbourbank.example/wm/linxiao"),
    (
        "Grace Wong",
        "Relationship Manager",
        "+86 21 6000 5678",
        "https://harbourbank.example/wm/grace",
    ),
]
SAMPLE_TITLE = "反诈提醒：冒充客服“注销校园贷”"


def _styles() -> int:
    from content.studio.styles import renderer_styles

    templates = {t.key: t for t in ScriptTemplate.objects.all()}
    count = 0
    for kind, keys in renderer_styles().items():
        if kind not in StyleEntry.Kind.values:
            continue
        for key in keys:
            zh, en = LABELS.get(key, (key.replace("_", " "), key.replace("_", " ").capitalize()))
            suited, words, tones = FITS.get(key, ((), "", ()))
            entry, new = StyleEntry.objects.get_or_create(
                kind=kind,
                key=key,
                defaults={
                    "label_zh": zh,
                    "label_en": en,
                    "topic_keywords": words,
                    "tones": list(tones),
                },
            )
            if new:
                entry.templates.set([templates[k] for k in suited if k in templates])
                count += 1
    return count


def _targets() -> None:
    from devices.models import Playlist

    playlist = Playlist.objects.filter(name="hq-central: anti-fraud notices").first()
    if playlist is not None:
        PublishTarget.objects.get_or_create(
            name="Hall screens: hq-central anti-fraud playlist",
            defaults={"publisher": "hall_screen", "config": {"playlist": playlist.pk}},
        )
    # Off until a real endpoint and secret are configured (see README: video studio).
    PublishTarget.objects.get_or_create(
        name="Marketing webhook",
        defaults={
            "publisher": "webhook",
            "is_active": False,
            "config": {
                "url": "https://marketing.harbourbank.example/hooks/videos",
                "secret_env": "STUDIO_WEBHOOK_SECRET",
                "public_base_url": "http://127.0.0.1:8000",
            },
        },
    )
    PublishTarget.objects.get_or_create(
        name="Short-video platform",
        defaults={
            "publisher": "short_video",
            "is_active": False,
            "config": {
                "base_url": "https://open.shortvideo.example",
                "client_id": "harbourbank",
                "client_secret_env": "SHORT_VIDEO_CLIENT_SECRET",
            },
        },
    )


def _sample_script() -> bool:
    from content.studio import services

    if VideoScript.objects.filter(title=SAMPLE_TITLE).exists():
        return False
    topic = Topic.objects.filter(title__contains="校园贷").order_by("-score").first()
    template = ScriptTemplate.objects.filter(key="anti-fraud").first()
    users = get_user_model().objects
    producer, officer = (
        users.filter(username="producer").first(),
        users.filter(username="compliance").first(),
    )
    if topic is None or template is None or producer is None or officer is None:
        return False
    script = services.script_generate(
        topic=topic,
        template=template,
        language="zh-hans",
        target_seconds=30,
        user=producer,
        title=SAMPLE_TITLE,
    )
    services.script_submit(script=script, user=producer, comment="演示脚本")
    services.script_approve(script=script, user=officer, comment="符合反诈宣传口径")
    return True


def seed(log: Callable[[str], None]) -> dict[str, int]:
    from content.studio.topics import topics_refresh

    with transaction.atomic():
        for name, url, language in FEEDS:
            FeedSource.objects.get_or_create(name=name, defaults={"url": url, "language": language})
        styles = _styles()
        for name, title, contact, qr in MANAGERS:
            WealthManager.objects.get_or_create(
                name=name, defaults={"title": title, "contact": contact, "qr_payload": qr}
            )
        _targets()
    counts = topics_refresh()
    sample = _sample_script()
    log(
        f"video studio: {Topic.objects.count()} topics ({counts}), {styles} new styles, "
        f"sample script {'created' if sample else 'kept'}"
    )
    return {"studio_topics": Topic.objects.count(), "studio_scripts": VideoScript.objects.count()}
