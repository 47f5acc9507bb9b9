"""Ships the credit-card needs-to-card flow as data (editable afterwards in the admin)."""

from django.db import migrations

STEPS = [
    ("ask_needs", "ask", ["scenarios"], False,
     "您好！我来帮您挑一张合适的信用卡。您平时主要想在哪些场景用卡？比如出行旅游、餐饮美食、网购、"
     "用车加油、学习或商务出差。",
     "Hello! Let me help you find the right credit card. What will you mainly use it for — "
     "travel, dining, online shopping, driving and fuel, study or business trips?"),
    ("ask_income", "ask", ["annual_income", "is_student"], False,
     "方便告诉我您的年收入大概多少吗？如果您还是学生，也请告诉我。",
     "Roughly what is your annual income? If you are a student, just tell me."),
    ("ask_fee", "ask", ["fee_tolerance"], True,
     "对年费有要求吗？比如完全不想要年费，还是有条件减免的年费也可以接受？",
     "How do you feel about an annual fee — none at all, or fine if it can be waived?"),
    ("confirm_needs", "confirm", [], False,
     "我总结一下您的需求：{summary}。对吗？",
     "Let me sum up: {summary}. Is that right?"),
    ("recommend", "recommend", [], False,
     "根据您的需求，为您推荐以下卡片：",
     "Based on what you told me, these cards fit best:"),
    ("choose_card", "options", [], False,
     "您想详细了解哪一张？可以说“第一张”或卡片名称，也可以说“换一批”。",
     "Which one would you like to know more about? Say \"the first one\" or its name, or "
     "\"show me others\"."),
    ("card_details", "answer", [], False,
     "还有什么想了解的吗？没有问题的话，我告诉您怎么申请。",
     "Anything else you would like to know? If not, I'll tell you how to apply."),
    ("how_to_apply", "end", [], False,
     "您可以在海港银行App「信用卡—办卡申请」选择这张卡提交申请，或携带上述材料到任一网点办理。"
     "感谢您的耐心！",
     "You can apply in the Harbour Bank app under Credit cards > Apply, or at any branch with "
     "the documents above. Thank you for your time!"),
]


def create_flow(apps, schema_editor):
    Flow = apps.get_model("scenarios", "Flow")
    FlowStep = apps.get_model("scenarios", "FlowStep")
    flow, created = Flow.objects.get_or_create(
        code="credit_card",
        defaults={"scenario": "credit_card", "name_zh": "信用卡推荐与申请",
                  "name_en": "Credit card recommendation and application"})
    if not created:
        return
    for position, (code, kind, slots, optional, zh, en) in enumerate(STEPS, start=1):
        FlowStep.objects.create(flow=flow, code=code, position=position, kind=kind, slots=slots,
                                optional=optional, prompt_zh=zh, prompt_en=en)


def remove_flow(apps, schema_editor):
    apps.get_model("scenarios", "Flow").objects.filter(code="credit_card").delete()


class Migration(migrations.Migration):
    dependencies = [("scenarios", "0002_dialogue")]
    operations = [migrations.RunPython(create_flow, remove_flow)]
