"""The default rubric (staff edit it in the admin), the append-only review trail, and the
15-minute sweep that scores sessions customers walked away from."""

from django.db import migrations

FORBID = """
CREATE OR REPLACE FUNCTION quality_scorereview_forbid_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'quality_scorereview is append-only (% refused)', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER quality_scorereview_append_only
    BEFORE UPDATE OR DELETE ON quality_scorereview
    FOR EACH ROW EXECUTE FUNCTION quality_scorereview_forbid_change();
"""
ALLOW = """
DROP TRIGGER IF EXISTS quality_scorereview_append_only ON quality_scorereview;
DROP FUNCTION IF EXISTS quality_scorereview_forbid_change();
"""

SCHEDULE = "quality-inspect-idle-sessions"
FUNC = "scenarios.quality.tasks.inspect_idle_sessions_task"

# (code, kind, Chinese label, English label, weight, parameters); phrases default to the
# lists in scenarios/quality/rules.py when not given here.
RUBRIC = [
    ("greeting", "greeting", "开场问候", "Greeting", 10, {}),
    (
        "identity",
        "identity_verification",
        "按要求核实身份",
        "Identity verified where required",
        15,
        {"required_scenarios": ["card_use", "card_activation", "after_sales", "super_teller"]},
    ),
    ("risk_disclosure", "risk_disclosure", "理财话题风险提示", "Risk disclosure on wealth topics", 20, {}),
    ("forbidden_promises", "forbidden_promises", "无违规承诺", "No forbidden promises", 25, {}),
    ("politeness", "politeness", "文明礼貌", "Politeness", 10, {}),
    ("end_sentiment", "end_sentiment", "结束时客户情绪", "Customer sentiment at the end", 10, {}),
    ("resolution", "resolution", "问题是否解决", "Resolved", 15, {"min_rating": 3}),
    ("handling_time", "handling_time", "办理时长", "Handling time", 5, {"max_seconds": 900}),
]


def create(apps, schema_editor):
    Criterion = apps.get_model("quality", "Criterion")
    for position, (code, kind, zh, en, weight, parameters) in enumerate(RUBRIC):
        Criterion.objects.get_or_create(
            code=code,
            defaults={
                "kind": kind,
                "label_zh": zh,
                "label_en": en,
                "weight": weight,
                "parameters": parameters,
                "position": position,
                "ask_llm": kind in {"politeness", "forbidden_promises", "risk_disclosure"},
            },
        )
    Schedule = apps.get_model("django_q", "Schedule")
    if not Schedule.objects.filter(name=SCHEDULE).exists():
        Schedule.objects.create(
            name=SCHEDULE, func=FUNC, schedule_type="I", minutes=15, repeats=-1
        )


def drop(apps, schema_editor):
    apps.get_model("django_q", "Schedule").objects.filter(name=SCHEDULE).delete()
    apps.get_model("quality", "Criterion").objects.filter(
        code__in=[row[0] for row in RUBRIC]
    ).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("quality", "0001_initial"),
        ("django_q", "0019_alter_task_options_alter_ormq_key_alter_ormq_lock_and_more"),
    ]

    operations = [
        migrations.RunSQL(FORBID, ALLOW),
        migrations.RunPython(create, drop),
    ]
