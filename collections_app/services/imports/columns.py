"""Column names of the three files, their Chinese aliases and which are required (docs/imports.md)."""
from __future__ import annotations

from collections_app.models import ImportKind

LOAN_COLUMNS = {
    "loan_id": ["贷款编号", "借据号", "合同号"],
    "borrower_id": ["客户编号"],
    "borrower_name": ["客户姓名", "姓名"],
    "principal": ["贷款本金", "本金"],
    "disbursed_on": ["放款日期"],
    "national_id": ["证件号码", "身份证号"],
    "phones": ["联系电话", "phone", "手机号"],
    "address": ["地址"],
    "employer": ["工作单位"],
    "product": ["产品"],
    "currency": ["币种"],
    "lender": ["委托方"],
    "contact_name": ["紧急联系人", "紧急联系人姓名"],
    "contact_relation": ["紧急联系人关系", "联系人关系", "与紧急联系人关系"],
    "contact_phone": ["紧急联系人电话", "联系人电话"],
    "guarantor_name": ["担保人", "担保人姓名"],
    "guarantor_phone": ["担保人电话"],
    "term_months": ["贷款期限", "期限"],
    "first_due_date": ["首期还款日"],
    "annual_rate": ["年利率"],
    "overdue_since": ["逾期起始日"],
    "overdue_amount": ["逾期金额"],
}
INSTALLMENT_COLUMNS = {
    "loan_id": ["贷款编号", "借据号"],
    "seq": ["期数", "期次"],
    "due_date": ["应还日期"],
    "principal_due": ["应还本金"],
    "interest_due": ["应还利息"],
    "fee_due": ["应还费用"],
    "lender": ["委托方"],
}
PAYMENT_COLUMNS = {
    "payment_id": ["流水号"],
    "loan_id": ["贷款编号", "借据号"],
    "paid_on": ["还款日期"],
    "amount": ["还款金额"],
    "channel": ["还款渠道"],
    "note": ["备注"],
    "lender": ["委托方"],
}

COLUMNS = {ImportKind.LOANS: LOAN_COLUMNS, ImportKind.INSTALLMENTS: INSTALLMENT_COLUMNS, ImportKind.PAYMENTS: PAYMENT_COLUMNS}
REQUIRED = {
    ImportKind.LOANS: ["loan_id", "borrower_id", "borrower_name", "principal", "disbursed_on"],
    ImportKind.INSTALLMENTS: ["loan_id", "seq", "due_date", "principal_due", "interest_due"],
    ImportKind.PAYMENTS: ["payment_id", "loan_id", "paid_on", "amount"],
}


def normalize_header(name) -> str:
    text = str(name if name is not None else "").replace("\ufeff", "").strip().lower()
    return text.replace(" ", "_").replace("-", "_")


def header_map(kind: str) -> dict[str, str]:
    """Normalized header (English name or alias) → canonical column name."""
    mapping = {}
    for canonical, aliases in COLUMNS[kind].items():
        mapping[canonical] = canonical
        for alias in aliases:
            mapping[normalize_header(alias)] = canonical
    return mapping
