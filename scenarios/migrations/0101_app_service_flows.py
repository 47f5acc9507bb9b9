"""Ships the app's customer service flows as data (editable afterwards in the admin):
pre-sales (find the business module and walk through it) and after-sales (find the problem,
answer it from knowledge, resolve or hand over). What each step does is registered in
scenarios/dialogue/app_service/."""

from django.db import migrations


def _t(zh, en):
    return {"zh-hans": zh, "en": en}


# The app's business modules: each is explained by a public process guide (its slug) and opens
# an app screen by deep link; `step_links` point single guide steps at their own screen.
MODULES = [
    {"code": "apply_credit_card", "guide": "guide-apply-credit-card-app",
     "intents": ["card_apply"],
     "examples": _t(["我想办一张信用卡", "手机上怎么申请信用卡", "在App里申请信用卡"],
                    ["I want to apply for a credit card", "get a new credit card in the app", "sign up for a credit card"]),
     "name": _t("申请信用卡", "Apply for a credit card"),
     "link": "harbourbank://credit-card/apply",
     "step_links": {"1": "harbourbank://login",
                    "7": "harbourbank://credit-card/application-status"}},
    {"code": "activate_card", "guide": "guide-activate-card-app",
     "intents": ["card_activate"],
     "examples": _t(["新卡怎么激活", "收到信用卡了要开卡", "激活我的信用卡"],
                    ["activate my new card", "I received my credit card, how do I start using it"]),
     "name": _t("激活信用卡", "Activate a credit card"),
     "link": "harbourbank://credit-card/activate"},
    {"code": "open_type_ii_account", "guide": "guide-open-type-ii-account-app",
     "intents": ["account_open"],
     "examples": _t(["我想开个二类户", "在手机上开电子账户", "开一个二类账户"],
                    ["open a Type II account", "open an electronic account on my phone"]),
     "name": _t("开立二类电子账户", "Open a Type II electronic account"),
     "link": "harbourbank://account/open-type-ii"},
    {"code": "auto_repayment", "guide": "guide-set-auto-repayment",
     "intents": ["repayment"],
     "examples": _t(["开通自动还款", "信用卡自动还款怎么设置", "每月自动还信用卡"],
                    ["set up automatic repayment", "pay my credit card bill automatically"]),
     "name": _t("设置信用卡自动还款", "Set up credit card auto-repayment"),
     "link": "harbourbank://credit-card/repayment/auto"},
    {"code": "bill_instalment", "guide": "guide-apply-bill-instalment",
     "intents": ["instalment"],
     "examples": _t(["我想把账单分期", "信用卡账单分期", "这期账单分12期"],
                    ["split my bill into instalments", "pay my credit card bill in instalments"]),
     "name": _t("账单分期", "Bill instalments"),
     "link": "harbourbank://credit-card/instalment"},
    {"code": "fx_purchase", "guide": "guide-foreign-currency-purchase",
     "intents": ["fx_exchange"],
     "examples": _t(["我想换点美元", "购买外汇", "出国前换外币"],
                    ["buy US dollars", "exchange money for my trip", "buy foreign currency"]),
     "name": _t("购买外汇", "Buy foreign currency"),
     "link": "harbourbank://fx/buy",
     "step_links": {"6": "harbourbank://accounts/foreign-currency"}},
    {"code": "cash_reservation", "guide": "guide-large-cash-withdrawal-reservation",
     "intents": [],
     "examples": _t(["我要取一大笔现金", "预约取现", "要取20万现金"],
                    ["withdraw a large amount of cash", "book a cash withdrawal"]),
     "name": _t("大额取现预约", "Book a large cash withdrawal"),
     "link": "harbourbank://cash/reservation"},
    {"code": "overseas_travel", "guide": "guide-overseas-card-use",
     "intents": [],
     "examples": _t(["出国前银行卡要怎么设置", "开通境外用卡", "出境旅游用卡"],
                    ["use my card abroad", "set up my cards for travel overseas"]),
     "name": _t("出境用卡设置", "Prepare cards for travel abroad"),
     "link": "harbourbank://cards/overseas",
     "step_links": {"3": "harbourbank://cards/limits", "4": "harbourbank://settings/alerts"}},
    {"code": "report_lost_card", "guide": "guide-report-lost-card",
     "intents": ["card_lost_report"],
     "examples": _t(["我的卡丢了要挂失", "银行卡被偷了", "挂失补卡"],
                    ["report my lost card", "my card was stolen, I need a replacement"]),
     "name": _t("银行卡挂失补卡", "Report a lost card and replace it"),
     "link": "harbourbank://cards/report-loss"},
    {"code": "update_id", "guide": "guide-update-expired-id",
     "intents": ["contact_update"],
     "examples": _t(["身份证过期了要更新", "更新证件信息", "换了新身份证"],
                    ["my ID card expired", "update my ID document"]),
     "name": _t("更新过期身份证件", "Update an expired ID"),
     "link": "harbourbank://profile/id-document"},
    {"code": "mortgage_early_repayment", "guide": "guide-mortgage-early-repayment",
     "intents": ["loan_inquiry"],
     "examples": _t(["我想提前还房贷", "房贷提前还款", "提前还一部分房贷"],
                    ["pay off my mortgage early", "make an early mortgage repayment"]),
     "name": _t("房贷提前还款", "Repay a mortgage early"),
     "link": "harbourbank://loans/early-repayment"},
    {"code": "cancel_credit_card", "guide": "guide-cancel-credit-card",
     "intents": [],
     "examples": _t(["我想注销信用卡", "销卡", "这张信用卡不用了想注销"],
                    ["close my credit card", "cancel my credit card"]),
     "name": _t("注销信用卡", "Cancel a credit card"),
     "link": "harbourbank://credit-card/cancel"},
]

CONFIRM_TEXTS = {
    "options": _t("是下面哪一项？{options}。都不是的话，请再描述一下。",
                  "Is it one of these? {options}. If not, please describe it again."),
    "describe_again": _t("好的，请再描述一下。", "All right — please describe it again."),
}
SATISFACTION_TEXTS = {
    "again": _t("请回复1到5分（5分最满意），也可以说说您的意见；不想评价请说“跳过”。",
                "Please reply with a score from 1 to 5 (5 is best), with a comment if you "
                "like; say \"skip\" to leave it."),
}
CLOSING_TEXTS = {
    "handing_over": _t("正在为您转接人工客服，请稍候。",
                       "Connecting you to a colleague now, please hold on."),
}

# (code, kind, behaviour, zh prompt, en prompt, config)
PRE_SALES = [
    ("describe_need", "ask", "locate_module",
     "您好！我是海港银行App智能客服。请告诉我您想办理什么业务？比如申请信用卡、购买外汇、开通自动还款。",
     "Hello! I'm Harbour Bank's app assistant. What would you like to do? For example apply "
     "for a credit card, buy foreign currency or set up auto-repayment.",
     {"keep_topic": True, "modules": MODULES, "texts": {"not_located": _t(
         "抱歉，我没能确定您要办理的业务。能换个说法再描述一下吗？比如“我想在手机上申请信用卡”。",
         "Sorry, I couldn't tell which service you mean. Could you put it another way, e.g. "
         "\"I want to apply for a credit card on my phone\"?")}}),
    ("confirm_module", "confirm", "confirm_choice",
     "您想办理的是「{title}」，对吗？",
     "So you would like help with “{title}” — is that right?",
     {"keep_topic": True, "texts": CONFIRM_TEXTS}),
    ("requirements", "answer", "module_requirements",
     "准备好了吗？我可以一步一步带您在App里办理。",
     "Ready? I can walk you through it in the app, step by step.",
     {"texts": {
         "summary": _t("办理「{title}」需要准备：{materials}。\n共{count}步：{steps}。",
                       "For \"{title}\" you will need: {materials}.\n"
                       "There are {count} steps: {steps}."),
         "timeline": _t("预计用时：{timeline}。", "How long it takes: {timeline}."),
         "declined": _t("好的，您可以随时回来办理。", "No problem — come back any time."),
     }}),
    ("guide", "answer", "guided_steps",
     "我们一步一步来。", "Let's go through it step by step.",
     {"texts": {
         "step": _t("第{n}步（共{total}步）：{title}。{detail}\n完成后请说“好了”，有疑问可以直接问我。",
                    "Step {n} of {total}: {title}. {detail}\nSay \"done\" when you have "
                    "finished, or ask me anything about it."),
         "done": _t("全部步骤都完成了！", "That's every step done!"),
         "confirm_label": _t("这一步完成了", "Done"),
         "stopped": _t("好的，您可以随时回来继续办理。",
                       "No problem — you can come back and continue any time."),
     }}),
    ("satisfaction", "ask", "satisfaction",
     "本次服务您满意吗？请打1–5分（5分最满意），也欢迎留下意见。",
     "How satisfied are you with this service? Please give a score from 1 to 5 (5 is best), "
     "and a comment if you like.",
     {"texts": SATISFACTION_TEXTS}),
    ("closing", "answer", "service_end",
     "感谢您使用海港银行App智能客服，祝您生活愉快！",
     "Thank you for using Harbour Bank's app assistant. Have a good day!",
     {"texts": CLOSING_TEXTS}),
]

AFTER_SALES = [
    ("describe_problem", "ask", "locate_problem",
     "您好！请描述一下您遇到的问题，我来帮您看看。",
     "Hello! Please describe the problem you have run into and I'll look into it.",
     {"keep_topic": True, "page_types": ["faq", "guide", "antifraud"],
      "texts": {"not_located": _t(
         "抱歉，我没能确定您遇到的问题。能再具体描述一下吗？比如发生了什么、在哪一步。",
         "Sorry, I couldn't pin down the problem. Could you tell me a bit more — what "
         "happened, and at which step?")}}),
    ("confirm_problem", "confirm", "confirm_choice",
     "您遇到的问题是：「{title}」，对吗？",
     "So the problem is “{title}” — is that right?",
     {"keep_topic": True, "texts": CONFIRM_TEXTS}),
    ("answer", "answer", "problem_answer",
     "这个回答解决您的问题了吗？",
     "Did that solve your problem?",
     {"texts": {
         "related": _t("您可能还想了解：{questions}", "You may also want to know: {questions}"),
         "handoff_then_rate": _t(
             "很抱歉没能帮您解决。我会为您转接人工客服，转接前请为本次智能服务打个分（1–5分），也可以留下意见。",
             "I'm sorry I couldn't solve it. I'll connect you to a colleague; before I do, "
             "please rate this service from 1 to 5, with a comment if you like."),
     }}),
    ("satisfaction", "ask", "satisfaction",
     "很高兴帮到您！请为本次服务打1–5分（5分最满意），也欢迎留下意见。",
     "Glad I could help! Please rate this service from 1 to 5 (5 is best), with a comment "
     "if you like.",
     {"texts": SATISFACTION_TEXTS}),
    ("closing", "answer", "service_end",
     "感谢您的反馈，祝您生活愉快！",
     "Thank you for your feedback. Have a good day!",
     {"texts": CLOSING_TEXTS}),
]

FLOWS = {
    "pre_sales": (_t("App业务办理引导（售前）", "App service guide (pre-sales)"), PRE_SALES),
    "after_sales": (_t("App问题解答（售后）", "App problem solving (after-sales)"), AFTER_SALES),
}


def create_flows(apps, schema_editor):
    Flow = apps.get_model("scenarios", "Flow")
    FlowStep = apps.get_model("scenarios", "FlowStep")
    for code, (name, steps) in FLOWS.items():
        flow, created = Flow.objects.get_or_create(
            code=code,
            defaults={"scenario": code, "name_zh": name["zh-hans"], "name_en": name["en"]},
        )
        if not created:
            continue  # an operator's edits survive
        for position, (step, kind, behaviour, zh, en, config) in enumerate(steps, start=1):
            FlowStep.objects.create(
                flow=flow, code=step, position=position, kind=kind, behaviour=behaviour,
                prompt_zh=zh, prompt_en=en, config=config,
            )


def remove_flows(apps, schema_editor):
    apps.get_model("scenarios", "Flow").objects.filter(code__in=list(FLOWS)).delete()


class Migration(migrations.Migration):
    dependencies = [("scenarios", "0112_private_document_storage")]
    operations = [migrations.RunPython(create_flows, remove_flows)]
