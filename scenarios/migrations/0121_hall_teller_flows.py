"""Ships the branch-hall, card-quiz and super-teller flows and five VTM self-service guides as data
(editable afterwards in the admin)."""

from django.db import migrations

# (code, kind, behaviour, slots, optional, zh, en, config)
BRANCH_HALL = (
    ("branch_hall", "branch_hall", "大堂取号与业务咨询", "Branch hall: queue tickets and questions"),
    [
        ("ask_service", "ask", "hall_service", [], False,
         "您好，欢迎光临海港银行！请问您今天想办理什么业务？比如存取现金、开户、银行卡挂失、外币兑换、"
         "理财或贷款咨询。",
         "Hello and welcome to Harbour Bank! What can we do for you today — cash, opening an "
         "account, a card issue, foreign exchange, wealth products or a loan?",
         {"unsure": {
             "zh-hans": "抱歉，我不太确定您要办理哪项业务。是以下哪一项呢？{options}。您可以说“第一个”或业务名称。",
             "en": "Sorry, I'm not quite sure which service you need. Is it one of these? "
                   "{options}. Say \"the first one\" or the service's name."}}),
        ("confirm_service", "confirm", "hall_confirm_service", [], False,
         "您要办理的是「{service}」，需要我为您取号吗？",
         "You'd like {service} — shall I get you a queue ticket?",
         {"on_no": "ask_service"}),
        ("issue_ticket", "answer", "hall_ticket", [], False,
         "已为您取号：{number}（{service}）。您前面还有{waiting_ahead}位，预计等待约{minutes}分钟。"
         "请提前准备：{materials}。还有什么想了解的吗？比如办理流程。",
         "Here is your ticket: {number} ({service}). There are {waiting_ahead} people ahead of "
         "you, about {minutes} minutes' wait. Please have ready: {materials}. Anything else you "
         "would like to know, such as how it works?",
         {"again": {"zh-hans": "还有什么想了解的吗？", "en": "Anything else you'd like to know?"},
          "no_branch": {
              "zh-hans": "取号需要在网点的取号机或大堂屏幕上办理。办理「{service}」请准备：{materials}。"
                         "还有什么想了解的吗？",
              "en": "Queue tickets are taken at a branch's kiosk or hall screen. For {service} "
                    "please bring: {materials}. Anything else you'd like to know?"},
          "not_offered": {
              "zh-hans": "抱歉，本网点暂不办理「{service}」，您可以前往其他网点，或办理其他业务。",
              "en": "Sorry, this branch does not offer {service}; another branch can help, or "
                    "choose another service."}}),
        ("goodbye", "end", "", [], False,
         "祝您办理顺利，请留意大厅屏幕叫号。",
         "All the best — please watch the hall screen for your number.",
         {}),
    ],
)

CARD_QUIZ = (
    ("card_quiz", "credit_card", "选卡小测试", "Which card suits you? Quiz"),
    [
        ("quiz_spend", "ask", "", ["scenarios"], False,
         "来做个30秒选卡小测试吧！第1题：您的钱主要花在哪儿？出行旅游、餐饮美食、网购、用车加油，"
         "还是学习？",
         "Let's find your card in 30 seconds! Question 1: where does most of your money go — "
         "travel, dining, online shopping, driving, or study?",
         {}),
        ("quiz_income", "ask", "", ["annual_income", "is_student"], False,
         "第2题：您目前是学生吗？如果已工作，年收入大概多少？",
         "Question 2: are you a student? If you work, roughly what is your annual income?",
         {}),
        ("quiz_fee", "ask", "", ["fee_tolerance"], True,
         "第3题：年费您怎么看？完全不想要，越低越好，还是能减免就可以？",
         "Question 3: how do you feel about an annual fee — none at all, as low as possible, or "
         "fine if it can be waived?",
         {}),
        ("quiz_result", "confirm", "needs_summary", [], False,
         "测试结果：您{summary}。对吗？",
         "Your answers: {summary}. Is that right?",
         {"on_no": "quiz_spend"}),
        ("quiz_cards", "recommend", "card_recommendation", [], False,
         "最适合您的卡是：",
         "The cards that suit you best:",
         {}),
        ("quiz_choose", "options", "card_choice", [], False,
         "想详细了解哪一张？说“第一张”或卡片名称，也可以说“换一批”。",
         "Which one would you like to know more about? Say \"the first one\" or its name, or "
         "\"show me others\".",
         {}),
        ("quiz_details", "answer", "card_details", [], False,
         "还有想了解的吗？没有的话，我告诉您怎么申请。",
         "Anything else you'd like to know? If not, I'll tell you how to apply.",
         {}),
        ("quiz_end", "end", "", [], False,
         "感谢参与测试！您可以在海港银行App「信用卡—办卡申请」申请这张卡，或让大堂工作人员协助您办理。",
         "Thanks for taking the quiz! Apply in the Harbour Bank app under Credit cards > Apply, "
         "or ask a colleague in the hall to help you.",
         {}),
    ],
)

GUIDE_MATCH = [
    {"flow": "vtm_card_loss", "intents": ["card_lost_report"],
     "keywords": {"zh-hans": ["挂失", "卡丢了", "卡掉了", "卡被偷", "卡不见了", "冻结卡"],
                  "en": ["lost card", "lost my card", "stolen", "report a lost", "block my card",
                         "freeze my card"]}},
    {"flow": "vtm_balance_statement", "intents": ["balance_statement"],
     "keywords": {"zh-hans": ["余额", "流水", "打印", "对账单", "交易明细", "查账"],
                  "en": ["balance", "statement", "print", "transactions", "account history"]}},
    {"flow": "vtm_transfer", "intents": ["transfer"],
     "keywords": {"zh-hans": ["转账", "汇款", "转钱", "打钱", "给别人转"],
                  "en": ["transfer", "send money", "pay someone", "remittance"]}},
    {"flow": "vtm_password_reset", "intents": ["card_pin_reset", "password_reset"],
     "keywords": {"zh-hans": ["密码", "忘记密码", "密码忘了", "重置密码", "密码锁", "改密码"],
                  "en": ["pin", "password", "forgot my pin", "reset", "locked"]}},
    {"flow": "vtm_contact_update", "intents": ["contact_update"],
     "keywords": {"zh-hans": ["手机号", "预留手机", "联系方式", "地址", "改电话", "换号码"],
                  "en": ["phone number", "mobile number", "contact details", "address",
                         "update my details"]}},
]

SUPER_TELLER = (
    ("super_teller", "super_teller", "超级柜员", "Super teller"),
    [
        ("locate", "ask", "teller_locate", [], False,
         "您好，我是海港银行超级柜员。请问您要办理什么？我可以一步步带您完成：银行卡挂失、余额查询与流水打印、"
         "转账、密码重置、修改联系方式。",
         "Hello, I'm Harbour Bank's super teller. What would you like to do? I can guide you "
         "step by step through reporting a lost card, balance and statement printing, "
         "transfers, PIN reset and updating your contact details.",
         {"guides": GUIDE_MATCH,
          "unsure": {
              "zh-hans": "我不太确定您要办理哪一项，是以下哪个呢？{options}",
              "en": "I'm not sure which one you need — is it one of these? {options}"}}),
        ("confirm_guide", "confirm", "teller_confirm", [], False,
         "好的，我们来办理「{guide}」，共{total}步，每一步机器上都有提示。现在开始吗？",
         "Right: {guide}, in {total} steps, each shown on the screen. Shall we start?",
         {"on_no": "locate"}),
    ],
)


def _guide(code, zh_name, en_name, steps, done_zh, done_en):
    rows = []
    for step_code, device_action, title_zh, title_en, zh, en, extra in steps:
        config = {"device_action": device_action,
                  "title": {"zh-hans": title_zh, "en": title_en},
                  "max_failures": 2}
        config.update(extra)
        rows.append((step_code, "form", "guide_step", [], False, zh, en, config))
    rows.append(("done", "end", "guide_done", [], False, done_zh, done_en, {}))
    return ((code, "super_teller", zh_name, en_name), rows)


GUIDES = [
    _guide(
        "vtm_card_loss", "银行卡挂失", "Report a lost card",
        [
            ("scan_id", "scan_id", "验证身份", "Verify your identity",
             "请将您的二代身份证放在屏幕下方的读卡区，听到“嘀”声后取回。",
             "Place your ID card on the reader below the screen and take it back after the beep.",
             {}),
            ("face_check", "face_verify", "人脸核验", "Face check",
             "请正视上方摄像头，保持面部在框内，眨眨眼完成核验。",
             "Look at the camera above, keep your face in the frame and blink to finish the check.",
             {}),
            ("choose_card", "select_option", "选择要挂失的卡", "Choose the card",
             "屏幕上列出了您名下的银行卡，请点选需要挂失的那一张。",
             "The screen lists your cards; tap the one you want to report lost.",
             {}),
            ("confirm_loss", "confirm", "确认挂失", "Confirm the report",
             "请核对卡号后四位，点击“确认挂失”。挂失后这张卡将立即停止使用。",
             "Check the last four digits and tap \"Confirm\". The card stops working at once.",
             {"confirm_label": {"zh-hans": "确认挂失", "en": "Confirm"}}),
            ("print_receipt", "print", "打印回执", "Print the receipt",
             "正在打印挂失回执，请从右下方出口取走并妥善保管。",
             "Your receipt is printing; take it from the slot at the bottom right and keep it.",
             {}),
        ],
        "挂失已生效。补办新卡可在柜台办理，补卡工本费按公示标准收取，新卡约7个工作日寄到。",
        "Your card is blocked. A replacement can be ordered at the counter for the published "
        "fee and arrives in about 7 working days.",
    ),
    _guide(
        "vtm_balance_statement", "余额查询与流水打印", "Balance and statement printing",
        [
            ("insert_card", "insert_card", "插入银行卡", "Insert your card",
             "请将银行卡芯片朝上插入右侧的插卡口。",
             "Insert your card chip side up into the slot on the right.",
             {}),
            ("enter_pin", "enter_pin", "输入密码", "Enter your PIN",
             "请用密码键盘输入6位银行卡密码，输入时请用手遮挡。",
             "Enter your 6-digit PIN on the keypad, shielding it with your hand.",
             {}),
            ("choose_period", "select_option", "选择查询期间", "Choose the period",
             "余额已显示在屏幕上。请选择要打印流水的期间：近1个月、近3个月、近6个月或自定义。",
             "Your balance is on the screen. Choose the statement period: 1, 3 or 6 months, or "
             "custom dates.",
             {}),
            ("print_statement", "print", "打印流水", "Print the statement",
             "正在打印流水，请从下方出口取走。打印的流水加盖电子印章，可用于一般证明用途。",
             "Your statement is printing; take it from the slot below. It carries an electronic "
             "seal accepted for most purposes.",
             {}),
        ],
        "流水已打印完成，请取回您的银行卡。",
        "Your statement is printed. Please take your card.",
    ),
    _guide(
        "vtm_transfer", "转账", "Transfer",
        [
            ("insert_card", "insert_card", "插入银行卡", "Insert your card",
             "请将转出银行卡芯片朝上插入右侧的插卡口。",
             "Insert the card you are paying from, chip side up, into the slot on the right.",
             {}),
            ("enter_pin", "enter_pin", "输入密码", "Enter your PIN",
             "请用密码键盘输入6位银行卡密码。",
             "Enter your 6-digit PIN on the keypad.",
             {}),
            ("enter_payee", "enter_payee", "填写收款人", "Enter the payee",
             "请在屏幕上填写收款人姓名和账号，并选择收款银行。",
             "Enter the payee's name and account number on the screen and choose their bank.",
             {}),
            ("confirm_amount", "confirm_amount", "确认金额", "Confirm the amount",
             "请输入转账金额并核对收款人信息，确认无误后点击“确认转账”。请警惕冒充公检法、客服退款等诈骗。",
             "Enter the amount, check the payee, then tap \"Confirm transfer\". Beware of "
             "scammers posing as police or customer service.",
             {"confirm_label": {"zh-hans": "确认转账", "en": "Confirm transfer"}}),
            ("print_receipt", "print", "打印回单", "Print the receipt",
             "转账已提交，正在打印回单，请从下方出口取走。",
             "The transfer is submitted and your receipt is printing; take it from the slot below.",
             {}),
        ],
        "转账已完成，请取回您的银行卡和回单。",
        "The transfer is done. Please take your card and receipt.",
    ),
    _guide(
        "vtm_password_reset", "密码重置", "PIN reset",
        [
            ("insert_card", "insert_card", "插入银行卡", "Insert your card",
             "请将需要重置密码的银行卡芯片朝上插入插卡口。",
             "Insert the card whose PIN you want to reset, chip side up.",
             {}),
            ("scan_id", "scan_id", "验证身份", "Verify your identity",
             "请将本人二代身份证放在读卡区。",
             "Place your own ID card on the reader.",
             {}),
            ("face_check", "face_verify", "人脸核验", "Face check",
             "请正视摄像头完成人脸核验。",
             "Look at the camera to finish the face check.",
             {}),
            ("new_pin", "enter_pin", "设置新密码", "Set a new PIN",
             "请在密码键盘上输入新的6位密码，再输入一次确认。不要使用生日或连续数字。",
             "Enter a new 6-digit PIN on the keypad, then once more to confirm. Avoid birthdays "
             "and sequences.",
             {}),
        ],
        "密码已重置，新密码立即生效。请取回您的银行卡和身份证。",
        "Your PIN is reset and works now. Please take your card and ID.",
    ),
    _guide(
        "vtm_contact_update", "修改联系方式", "Update contact details",
        [
            ("scan_id", "scan_id", "验证身份", "Verify your identity",
             "请将本人二代身份证放在读卡区。",
             "Place your own ID card on the reader.",
             {}),
            ("face_check", "face_verify", "人脸核验", "Face check",
             "请正视摄像头完成人脸核验。",
             "Look at the camera to finish the face check.",
             {}),
            ("enter_details", "enter_text", "填写新的联系方式", "Enter the new details",
             "请在屏幕上填写新的手机号码或联系地址。手机号须为您本人实名登记的号码。",
             "Enter your new mobile number or address on the screen. The mobile must be "
             "registered in your own name.",
             {}),
            ("sms_code", "enter_code", "短信验证", "SMS code",
             "我们已向新手机号发送6位验证码，请在屏幕上输入。验证码请勿告诉任何人。",
             "We sent a 6-digit code to the new number; enter it on the screen and never share "
             "it with anyone.",
             {}),
            ("confirm_update", "confirm", "确认修改", "Confirm",
             "请核对新的联系方式，点击“确认修改”。",
             "Check the new details and tap \"Confirm\".",
             {"confirm_label": {"zh-hans": "确认修改", "en": "Confirm"}}),
        ],
        "联系方式已更新，今后的短信通知将发送到新号码。",
        "Your contact details are updated; notifications now go to the new number.",
    ),
]


def create_flows(apps, schema_editor):
    Flow = apps.get_model("scenarios", "Flow")
    FlowStep = apps.get_model("scenarios", "FlowStep")
    for (code, scenario, name_zh, name_en), steps in [BRANCH_HALL, CARD_QUIZ, SUPER_TELLER, *GUIDES]:
        flow, created = Flow.objects.get_or_create(
            code=code, defaults={"scenario": scenario, "name_zh": name_zh, "name_en": name_en})
        if not created:
            continue  # an operator's edits win
        for position, (step_code, kind, behaviour, slots, optional, zh, en, config) in enumerate(
            steps, start=1
        ):
            FlowStep.objects.create(
                flow=flow, code=step_code, position=position, kind=kind, behaviour=behaviour,
                slots=slots, optional=optional, prompt_zh=zh, prompt_en=en, config=config)


def remove_flows(apps, schema_editor):
    codes = [flow[0][0] for flow in [BRANCH_HALL, CARD_QUIZ, SUPER_TELLER, *GUIDES]]
    apps.get_model("scenarios", "Flow").objects.filter(code__in=codes).delete()


class Migration(migrations.Migration):
    dependencies = [("scenarios", "0120_takeover")]
    operations = [migrations.RunPython(create_flows, remove_flows)]
