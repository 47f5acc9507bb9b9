"""The answer audit is append-only at the database level, not only in the admin."""

from django.db import migrations

FORBID = """
CREATE OR REPLACE FUNCTION ai_answeraudit_forbid_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'ai_answeraudit is append-only (% refused)', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER ai_answeraudit_append_only
    BEFORE UPDATE OR DELETE ON ai_answeraudit
    FOR EACH ROW EXECUTE FUNCTION ai_answeraudit_forbid_change();
CREATE TRIGGER ai_answeraudit_no_truncate
    BEFORE TRUNCATE ON ai_answeraudit
    FOR EACH STATEMENT EXECUTE FUNCTION ai_answeraudit_forbid_change();
"""
ALLOW = """
DROP TRIGGER IF EXISTS ai_answeraudit_no_truncate ON ai_answeraudit;
DROP TRIGGER IF EXISTS ai_answeraudit_append_only ON ai_answeraudit;
DROP FUNCTION IF EXISTS ai_answeraudit_forbid_change();
"""


class Migration(migrations.Migration):
    dependencies = [("ai", "0002_knowledge_intents_audit")]
    operations = [migrations.RunSQL(FORBID, ALLOW)]
