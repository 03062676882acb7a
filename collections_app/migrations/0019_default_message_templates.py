"""The templates a fresh install ships (docs/messages.md): a polite SMS reminder and an e-mail
reminder in zh-hans and en, and the letter texts (overdue notice, lawyer's letter). Every text passes
the false-threat check (tests/messages/test_shipped_templates.py). Admins edit them in the admin;
this migration only adds the ones missing."""
from django.db import migrations

TEMPLATES = [
    ("polite_reminder", "sms", "zh-hans", "温馨还款提醒", "",
     "{{ borrower_name }}您好，您在{{ lender_name }}的借款已逾期{{ dpd }}天，截至{{ as_of }}逾期金额{{ overdue_amount }}元。"
     "请尽快还款至{{ payment_account }}。如已还款请忽略。咨询请致电{{ collector_phone }}。"),
    ("polite_reminder", "sms", "en", "Polite payment reminder", "",
     "Dear {{ borrower_name }}, your loan with {{ lender_name }} is {{ dpd }} days overdue: {{ overdue_amount }} "
     "as of {{ as_of }}. Please pay to {{ payment_account }}. If you have paid, please ignore this message. "
     "Questions: {{ collector_phone }}."),
    ("callback_request", "sms", "zh-hans", "回电请求（不提及债务）", "",
     "您好，这里是{{ lender_name }}，有事需要与{{ borrower_name }}联系，烦请转告其回电{{ collector_phone }}。谢谢！"),
    ("callback_request", "sms", "en", "Call-back request (no debt details)", "",
     "Hello, this is {{ lender_name }}. We would like {{ borrower_name }} to call us back on {{ collector_phone }}. "
     "Thank you."),
    ("email_reminder", "email", "zh-hans", "还款提醒邮件", "关于您在{{ lender_name }}的借款",
     "{{ borrower_name }}您好：\n\n截至{{ as_of }}，您的借款（{{ loan_ref }}）已逾期{{ dpd }}天，逾期金额{{ overdue_amount }}元，"
     "罚息及滞纳金{{ penalty }}元，一次性结清金额{{ payoff_amount }}元。\n请还款至：{{ payment_account }}。\n"
     "如有疑问请联系{{ collector_name }}，电话{{ collector_phone }}。\n\n{{ lender_name }}"),
    ("email_reminder", "email", "en", "Payment reminder e-mail", "Your loan with {{ lender_name }}",
     "Dear {{ borrower_name }},\n\nAs of {{ as_of }} your loan ({{ loan_ref }}) is {{ dpd }} days overdue. Overdue: "
     "{{ overdue_amount }}; penalty interest and fees: {{ penalty }}; to pay off in full: {{ payoff_amount }}.\n"
     "Please pay to: {{ payment_account }}.\nQuestions: {{ collector_name }}, {{ collector_phone }}.\n\n"
     "{{ lender_name }}"),
    ("overdue_notice", "letter", "zh-hans", "逾期催收函", "逾期催收函",
     "{{ borrower_name }}：\n\n您在{{ lender_name }}的借款（{{ loan_ref }}）已逾期{{ dpd }}天。截至{{ as_of }}，逾期金额"
     "{{ overdue_amount }}元，罚息及滞纳金{{ penalty }}元，结清金额{{ payoff_amount }}元。\n"
     "请于收到本函后七日内还款至{{ payment_account }}，或联系{{ collector_name }}（{{ collector_phone }}）协商还款安排。"
     "\n\n{{ lender_name }}\n{{ as_of }}"),
    ("overdue_notice", "letter", "en", "Overdue notice", "Overdue notice",
     "To {{ borrower_name }},\n\nYour loan with {{ lender_name }} ({{ loan_ref }}) is {{ dpd }} days overdue. As of "
     "{{ as_of }} the overdue amount is {{ overdue_amount }}, penalty interest and fees {{ penalty }}, and the amount "
     "to pay off in full {{ payoff_amount }}.\nPlease pay within seven days of receiving this letter to "
     "{{ payment_account }}, or contact {{ collector_name }} ({{ collector_phone }}) to agree a repayment plan.\n\n"
     "{{ lender_name }}\n{{ as_of }}"),
    ("lawyer_letter", "letter", "zh-hans", "律师函", "律师函",
     "{{ borrower_name }}：\n\n受{{ lender_name }}委托，就您的借款（{{ loan_ref }}）致函如下：截至{{ as_of }}，您尚欠逾期金额"
     "{{ overdue_amount }}元，罚息及滞纳金{{ penalty }}元，结清金额{{ payoff_amount }}元。\n请于收到本函后十五日内还款至"
     "{{ payment_account }}。逾期未还款的，委托人将依法向人民法院提起民事诉讼，主张还款及相关费用。\n"
     "如有异议，请联系{{ collector_phone }}。\n\n{{ as_of }}"),
    ("lawyer_letter", "letter", "en", "Lawyer's letter", "Lawyer's letter",
     "To {{ borrower_name }},\n\nOn behalf of {{ lender_name }}, concerning your loan ({{ loan_ref }}): as of {{ as_of }} "
     "you owe an overdue amount of {{ overdue_amount }}, penalty interest and fees of {{ penalty }}, and "
     "{{ payoff_amount }} to pay off in full.\nPlease pay within fifteen days of receiving this letter to "
     "{{ payment_account }}. Otherwise our client will bring a civil claim before the court for the debt and its "
     "costs.\nIf you dispute this, please contact {{ collector_phone }}.\n\n{{ as_of }}"),
]


def add_templates(apps, schema_editor):
    from django.utils import timezone

    MessageTemplate = apps.get_model("collections_app", "MessageTemplate")
    History = apps.get_model("collections_app", "HistoricalMessageTemplate")
    for code, channel, language, name, subject, body in TEMPLATES:
        template, created = MessageTemplate.objects.get_or_create(
            code=code, lender=None, stage="any", language=language,
            defaults={"channel": channel, "name": name, "subject": subject, "body": body},
        )
        if created:  # the first version in the template's history (shipped, by nobody)
            History.objects.create(
                id=template.id, code=code, channel=channel, lender_id=None, stage="any", language=language,
                name=name, subject=subject, body=body, is_active=True, updated_at=template.updated_at,
                history_date=timezone.now(), history_type="+", history_change_reason="shipped",
            )


class Migration(migrations.Migration):
    dependencies = [("collections_app", "0018_messages_and_templates")]
    operations = [migrations.RunPython(add_templates, migrations.RunPython.noop)]
