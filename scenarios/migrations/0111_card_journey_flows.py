"""Ships the rest of the card journey as data (editable afterwards in the admin):

- the credit-card flow goes on from the card details to documents, value-added services, the
  risk and fee disclosure, submission and the application's status;
- `card_activation`: a step-by-step activation guide, in the app or at a machine with the avatar;
- `card_use`: spending analysis, benefits and offers, instalments, repayment plans and reminders
  for a customer the app has identified;
- the 2026 PRC public-holiday calendar the application timeline counts working days in;
- structured terms the card journey computes with (document expiry, instalment minimum,
  timeline milestones) on cards that were loaded before they existed;
- the daily django-q2 schedule that plans repayment reminders.
"""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db import migrations

CARD_STEPS = [
    # code, kind, behaviour, optional, zh, en, config
    ("documents", "form", "application_documents", False,
     "请上传以下申请材料（JPG、PNG或PDF，每个文件不超过5MB）：",
     "Please upload these documents (JPG, PNG or PDF, up to 5 MB each):", {}),
    ("value_added_services", "options", "value_added_services", True,
     "这张卡还有以下可选增值服务，需要开通吗？可以说“第一个”或服务名称，也可以说“都不需要”。",
     "This card also offers these optional services. Would you like any? Say \"the first one\" "
     "or a name, or \"none\".", {}),
    ("risk_disclosure", "confirm", "risk_disclosure", False,
     "提交前请仔细阅读以下风险与费用说明：\n{disclosures}\n阅读后请回复“我已阅读并同意”；有疑问可以直接问我。",
     "Before you apply, please read these risk and fee disclosures carefully:\n{disclosures}\n"
     "When you have read them, reply \"I have read and agree\"; ask me about anything unclear.",
     {}),
    ("submit_application", "confirm", "application_submit", False,
     "请确认申请信息：{summary}\n确认提交申请吗？",
     "Please check your application: {summary}\nShall I submit it?", {}),
    ("application_status", "confirm", "application_status", False,
     "申请已提交，申请编号{reference}，当前状态：{status}。预计进度：\n{timeline}\n"
     "卡片到手后需要先激活才能使用。要我现在告诉您怎么激活吗？",
     "Your application {reference} has been submitted; status: {status}. What to expect:\n"
     "{timeline}\nThe card needs activating when it arrives. Shall I show you how now?",
     {"then_flow": "card_activation"}),
    ("journey_end", "end", "", False,
     "好的，卡片到手后随时找我，或在App里说“激活”即可。感谢您的耐心！",
     "All right. When the card arrives, just ask me or say \"activate\" in the app. Thank you "
     "for your time!", {}),
]

ACTIVATION_STEPS = [
    ("choose_guide", "options", "activation_guide_choice", False,
     "我来一步步教您激活新卡。您想在海港银行App里激活，还是在这台设备上由我带您办理？",
     "I'll walk you through activating your new card. Would you like to do it in the Harbour "
     "Bank app, or here on this machine with me?", {}),
    ("app_open", "answer", "activation_step", False,
     "第1步：打开海港银行App并登录，点击底部的「信用卡」。完成后告诉我“好了”。",
     "Step 1: open the Harbour Bank app, log in and tap \"Credit cards\" at the bottom. Tell me "
     "when you're done.",
     {"guide": "app", "action": {"type": "open_app_page", "page": "credit_cards"},
      "hint": {"zh-hans": "如果还没安装App，可以在手机应用商店搜索“海港银行”下载。",
               "en": "If you don't have the app yet, search for \"Harbour Bank\" in your phone's "
                     "app store."}}),
    ("app_activate", "answer", "activation_step", False,
     "第2步：点击「激活新卡」，核对页面上的卡号末四位与您手中的新卡一致。",
     "Step 2: tap \"Activate new card\" and check that the last four digits shown match the card "
     "in your hand.",
     {"guide": "app", "action": {"type": "open_app_page", "page": "activate_card"},
      "hint": {"zh-hans": "「激活新卡」在信用卡页面顶部的卡片下方；看不到的话请下拉刷新。",
               "en": "\"Activate new card\" sits under the card at the top of the Credit cards "
                     "page; pull down to refresh if you can't see it."}}),
    ("app_verify", "answer", "activation_step", False,
     "第3步：按页面提示输入卡片背面的有效期和安全码（CVV2）。这些信息只在App里输入，请不要告诉任何人，包括我。",
     "Step 3: enter the expiry date and the security code (CVV2) from the back of the card as "
     "the app asks. Type them only into the app and never tell anyone, including me.",
     {"guide": "app", "action": {"type": "open_app_page", "page": "activate_card_verify"},
      "hint": {"zh-hans": "有效期是卡背面“MM/YY”格式的四位数字，安全码是签名栏旁的三位数字。",
               "en": "The expiry date is the MM/YY on the back of the card; the security code is "
                     "the three digits next to the signature strip."}}),
    ("app_pin", "answer", "activation_step", False,
     "第4步：设置6位交易密码，并输入短信验证码完成激活。",
     "Step 4: set a 6-digit PIN and enter the SMS code to finish.",
     {"guide": "app", "action": {"type": "open_app_page", "page": "activate_card_pin"},
      "hint": {"zh-hans": "交易密码不要用生日、手机号或连续数字；短信验证码5分钟内有效。",
               "en": "Avoid birthdays, phone numbers or runs like 123456; the SMS code is valid "
                     "for 5 minutes."}}),
    ("avatar_card", "answer", "activation_step", False,
     "第1步：请将新卡芯片朝上插入下方的读卡器。",
     "Step 1: insert your new card into the card reader below, chip facing up.",
     {"guide": "avatar", "action": {"type": "highlight_device", "part": "card_reader"},
      "avatar": {"gesture": "point_down"},
      "hint": {"zh-hans": "读卡器在屏幕下方亮灯的位置，卡片插到底即可。",
               "en": "The card reader is the lit slot below the screen; push the card all the "
                     "way in."}}),
    ("avatar_id", "answer", "activation_step", False,
     "第2步：请把本人身份证放在身份证读取区。",
     "Step 2: place your ID card on the ID reader.",
     {"guide": "avatar", "action": {"type": "highlight_device", "part": "id_reader"},
      "avatar": {"gesture": "point_right"},
      "hint": {"zh-hans": "身份证读取区在右侧，人像面朝上平放，听到提示音即可。",
               "en": "The ID reader is on the right; lay the card photo side up until it beeps."}}),
    ("avatar_face", "answer", "activation_step", False,
     "第3步：请看向屏幕上方的摄像头，完成人脸识别。",
     "Step 3: look at the camera above the screen for face verification.",
     {"guide": "avatar", "action": {"type": "highlight_device", "part": "camera"},
      "avatar": {"gesture": "look_up"},
      "hint": {"zh-hans": "请摘下帽子和口罩，保持面部在取景框内。",
               "en": "Please take off any hat or mask and keep your face inside the frame."}}),
    ("avatar_pin", "answer", "activation_step", False,
     "第4步：请在密码键盘上设置6位交易密码，我看不到您输入的内容。",
     "Step 4: set a 6-digit PIN on the PIN pad. I can't see what you type.",
     {"guide": "avatar", "action": {"type": "highlight_device", "part": "pin_pad"},
      "avatar": {"gesture": "turn_away"},
      "hint": {"zh-hans": "输入时请用手遮挡键盘；交易密码不要用生日或连续数字。",
               "en": "Shield the pad with your hand; avoid birthdays or runs like 123456."}}),
    ("activation_done", "end", "", False,
     "激活完成！您可以在App「信用卡」页面把卡绑定到微信支付、支付宝等常用支付方式。祝您用卡愉快！",
     "Your card is active! In the app's Credit cards page you can add it to WeChat Pay, Alipay "
     "and other wallets. Enjoy your card!", {}),
]

USE_STEPS = [
    ("use_menu", "options", "card_use_menu", False,
     "{name}您好！关于您的{card}，我可以帮您：分析账单消费、推荐适合您的权益和活动、计算分期手续费、"
     "比较还款方案、设置还款提醒。您想先看哪一项？",
     "Hello {name}! For your {card} I can analyse your spending, match benefits and offers to "
     "it, quote instalments, compare repayment plans or set a repayment reminder. What would "
     "you like to do?",
     {"again": {"zh-hans": "还想了解什么？账单分析、权益活动、分期、还款方案或还款提醒都可以问我；没有的话说“没有了”。",
                "en": "Anything else? Spending, offers, instalments, repayment plans or "
                      "reminders. Or say \"that's all\"."}}),
    ("bill_analysis", "answer", "bill_analysis", False,
     "您想看哪段时间的消费？比如“上个月”“最近3个月”或“2026年10月”。",
     "Which period would you like to see? For example \"last month\", \"last 3 months\" or "
     "\"October 2026\".", {}),
    ("benefits", "answer", "spending_benefits", False,
     "根据您{period}的消费，这些权益和活动最适合您：",
     "Based on your spending from {period}, these benefits and offers suit you best:",
     {"months": 3}),
    ("instalment", "answer", "instalment_offer", False,
     "以下消费可以办理分期（说“把第一笔分12期”或“账单分6期”，我来算手续费）：",
     "These can be paid in instalments (say \"split the first one over 12 months\" or \"the "
     "statement over 6 months\" and I'll work out the fees):", {}),
    ("repayment", "answer", "repayment_plans", False,
     "您本期账单三种还款方式的对比：",
     "How the three ways of repaying this statement compare:", {"instalment_periods": 12}),
    ("reminder", "answer", "repayment_reminder", False,
     "要在到期还款日前几天提醒您？比如“提前3天”。",
     "How many days before the due date should I remind you? For example \"3 days before\".",
     {"channel": "app_inbox"}),
    ("use_end", "end", "", False,
     "不客气，祝您用卡愉快！", "You're welcome. Enjoy your card!", {}),
]

TRIGGERS = {
    "credit_card": {
        "zh-hans": ["申请信用卡", "办信用卡", "办张信用卡", "办一张信用卡"],
        "en": ["apply for a credit card", "apply for a card", "get a new credit card"],
    },
    "card_activation": {
        "zh-hans": ["激活"],
        "en": ["activate", "activation"],
    },
    "card_use": {
        "zh-hans": ["我的账单", "账单分析", "消费分析", "上个月账单", "本期账单", "账单分期",
                    "我想分期", "办分期", "还款计划", "还款方案", "最低还款", "还款提醒",
                    "提醒我还款", "我的权益", "优惠活动"],
        "en": ["my bill", "my statement", "spending breakdown", "analyse my spending",
               "analyze my spending", "instalment plan", "installment plan", "split my",
               "repayment plan", "minimum payment", "remind me", "my offers", "my benefits"],
    },
}

# 2026 public holidays and the weekend days worked in exchange, as the State Council announced
# them. Operations add each following year in the admin when it is published; 1 January is a
# statutory holiday every year.
CALENDAR = [
    ("2026-01-01", "2026-01-03", False, "元旦", "New Year's Day"),
    ("2026-01-04", "2026-01-04", True, "元旦调休上班", "Working day (New Year)"),
    ("2026-02-14", "2026-02-14", True, "春节调休上班", "Working day (Spring Festival)"),
    ("2026-02-15", "2026-02-23", False, "春节", "Spring Festival"),
    ("2026-02-28", "2026-02-28", True, "春节调休上班", "Working day (Spring Festival)"),
    ("2026-04-04", "2026-04-06", False, "清明节", "Qingming Festival"),
    ("2026-05-01", "2026-05-05", False, "劳动节", "Labour Day"),
    ("2026-05-09", "2026-05-09", True, "劳动节调休上班", "Working day (Labour Day)"),
    ("2026-06-19", "2026-06-21", False, "端午节", "Dragon Boat Festival"),
    ("2026-09-20", "2026-09-20", True, "国庆节调休上班", "Working day (National Day)"),
    ("2026-09-25", "2026-09-27", False, "中秋节", "Mid-Autumn Festival"),
    ("2026-10-01", "2026-10-07", False, "国庆节", "National Day"),
    ("2026-10-10", "2026-10-10", True, "国庆节调休上班", "Working day (National Day)"),
    ("2027-01-01", "2027-01-01", False, "元旦", "New Year's Day"),
]

DECISION_DAYS = {"business-gold": 5, "premium-infinite": 5}
MAILING_DAYS = {"premium-infinite": 3}


def _milestones(code):
    decision = DECISION_DAYS.get(code, 3)
    return [
        {"code": "precheck", "business_days": 0, "zh-hans": "材料预审", "en": "Document pre-check"},
        {"code": "review", "business_days": 1, "zh-hans": "审核", "en": "Review"},
        {"code": "decision", "business_days": decision, "zh-hans": "审批结果", "en": "Decision"},
        {"code": "card_mailed", "business_days": decision + MAILING_DAYS.get(code, 7),
         "zh-hans": "卡片寄出", "en": "Card sent"},
    ]


def _create_steps(FlowStep, flow, steps, start):
    for position, (code, kind, behaviour, optional, zh, en, config) in enumerate(steps, start):
        FlowStep.objects.update_or_create(
            flow=flow, code=code,
            defaults={"position": position, "kind": kind, "behaviour": behaviour,
                      "optional": optional, "prompt_zh": zh, "prompt_en": en, "config": config})


def forwards(apps, schema_editor):
    Flow = apps.get_model("scenarios", "Flow")
    FlowStep = apps.get_model("scenarios", "FlowStep")
    card_flow = Flow.objects.filter(code="credit_card").first()
    if card_flow is not None:
        FlowStep.objects.filter(flow=card_flow, code="how_to_apply").delete()
        FlowStep.objects.filter(flow=card_flow, code="card_details").update(
            prompt_zh="还有什么想了解的吗？没有问题的话，我们开始办理申请。",
            prompt_en="Anything else you would like to know? If not, let's start your "
                      "application.")
        last = (FlowStep.objects.filter(flow=card_flow).order_by("-position")
                .values_list("position", flat=True).first() or 0)
        _create_steps(FlowStep, card_flow, CARD_STEPS, last + 1)
        card_flow.triggers = TRIGGERS["credit_card"]
        card_flow.save(update_fields=["triggers"])
    activation, _ = Flow.objects.get_or_create(
        code="card_activation",
        defaults={"scenario": "card_activation", "name_zh": "信用卡激活指引",
                  "name_en": "Card activation guide", "triggers": TRIGGERS["card_activation"]})
    _create_steps(FlowStep, activation, ACTIVATION_STEPS, 1)
    use, _ = Flow.objects.get_or_create(
        code="card_use",
        defaults={"scenario": "card_use", "name_zh": "用卡服务", "name_en": "Using your card",
                  "triggers": TRIGGERS["card_use"], "requires_customer": True})
    _create_steps(FlowStep, use, USE_STEPS, 1)

    Day = apps.get_model("scenarios", "BusinessCalendarDay")
    for first, last, working, zh, en in CALENDAR:
        day = date.fromisoformat(first)
        while day <= date.fromisoformat(last):
            Day.objects.get_or_create(
                date=day, defaults={"is_working": working, "name_zh": zh, "name_en": en})
            day += timedelta(days=1)

    CardProduct = apps.get_model("scenarios", "CardProduct")
    for card in CardProduct.objects.all():
        for document in card.required_documents:
            if document.get("code") == "id_card":
                document.setdefault("expires", True)
        terms = dict(card.instalment_terms or {})
        if terms:
            terms.setdefault("min_amount", "300.00" if card.code == "student-youth" else "600.00")
        timeline = dict(card.timeline or {})
        timeline.setdefault("milestones", _milestones(card.code))
        card.instalment_terms = terms
        card.timeline = timeline
        card.save(update_fields=["required_documents", "instalment_terms", "timeline"])

    Schedule = apps.get_model("django_q", "Schedule")
    zone = ZoneInfo("Asia/Shanghai")
    tomorrow = datetime.now(zone).date() + timedelta(days=1)
    Schedule.objects.get_or_create(
        name="repayment-reminders-daily",
        defaults={"func": "scenarios.tasks.schedule_upcoming_repayment_reminders",
                  "schedule_type": "D", "repeats": -1,
                  "next_run": datetime.combine(tomorrow, time(8), tzinfo=zone)})


def backwards(apps, schema_editor):
    Flow = apps.get_model("scenarios", "Flow")
    FlowStep = apps.get_model("scenarios", "FlowStep")
    Flow.objects.filter(code__in=["card_activation", "card_use"]).delete()
    FlowStep.objects.filter(
        flow__code="credit_card", code__in=[step[0] for step in CARD_STEPS]).delete()
    apps.get_model("django_q", "Schedule").objects.filter(
        name="repayment-reminders-daily").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("scenarios", "0110_card_journey"),
        ("django_q", "0019_alter_task_options_alter_ormq_key_alter_ormq_lock_and_more"),
    ]
    operations = [migrations.RunPython(forwards, backwards)]
