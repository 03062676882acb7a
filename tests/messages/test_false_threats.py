"""No false threats in templates: the one list (domain.false_threats) in both languages, and the
admin form and the API refusing a template that carries one."""
import pytest

from collections_app.domain.false_threats import CLAIMS_BY_CODE, FORBIDDEN_CLAIMS, forbidden_claims

FALSE_THREATS = [
    ("freeze_relatives_accounts", "If you do not pay we will freeze your relatives' bank accounts."),
    ("freeze_relatives_accounts", "Your family's accounts will be frozen."),
    ("freeze_relatives_accounts", "逾期不还将冻结您家人的银行账户。"),
    ("freeze_relatives_accounts", "您父母的账户将被冻结。"),
    ("fine", "You will be fined 500 yuan."),
    ("fine", "逾期将处以罚款。"),
    ("criminal_record", "Non-payment will leave you with a criminal record."),
    ("criminal_record", "You will face criminal charges."),
    ("criminal_record", "不还款将留下犯罪记录。"),
    ("criminal_record", "我们将追究您的刑事责任。"),
    ("arrest", "The police will arrest you."),
    ("arrest", "您将被公安机关拘留。"),
    ("contact_employer_or_relatives", "We will contact your employer about this debt."),
    ("contact_employer_or_relatives", "We will inform your family."),
    ("contact_employer_or_relatives", "我们将通知您的单位领导。"),
    ("contact_employer_or_relatives", "我们将联系您的家人。"),
    ("public_exposure", "We will publish your name and photo online."),
    ("public_exposure", "我们将在网上曝光您的信息。"),
    ("public_exposure", "我们将联系您通讯录中的所有人。"),
]

POLITE = [
    "Dear customer, your loan is 5 days overdue. Please pay to account 123. Questions: 400-800-1234.",
    "If you have paid, please ignore this message. Please contact us to agree a repayment plan.",
    "Otherwise our client will bring a civil claim before the court for the debt and its costs.",
    "您好，您的借款已逾期5天，请尽快还款。如已还款请忽略。如有疑问请联系我们。",
    "逾期未还款的，委托人将依法向人民法院提起民事诉讼。",
]


@pytest.mark.parametrize("code,text", FALSE_THREATS)
def test_each_false_threat_is_found_in_both_languages(code, text):
    assert CLAIMS_BY_CODE[code] in forbidden_claims(text)


@pytest.mark.parametrize("text", POLITE)
def test_polite_and_lawful_texts_pass(text):
    assert forbidden_claims(text) == []


def test_every_claim_has_english_and_chinese_examples():
    found = {(code, any("\u4e00" <= ch <= "\u9fff" for ch in text)) for code, text in FALSE_THREATS}
    for claim in FORBIDDEN_CLAIMS:
        assert (claim.code, True) in found and (claim.code, False) in found, claim.code


def test_subject_is_checked_too():
    assert forbidden_claims("Police notice", "Please pay.") == [CLAIMS_BY_CODE["arrest"]]
