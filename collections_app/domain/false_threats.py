"""The false threats no message template may carry (docs/messages.md, "No false threats").

THE one list: the template admin form, the template API and the template service all call
:func:`forbidden_claims`. Each claim has an English and a Chinese (zh-hans) set of patterns; a
template is refused when any pattern of any claim matches its subject or body, whatever the
template's own language (a Chinese template with an English sentence is checked too).

These claims are false for a civil debt, or forbidden collection conduct: nobody freezes a
relative's accounts, a lender does not fine, an unpaid loan is not a crime, the collector does not
tell the employer or the family about the debt, the police do not arrest for it, and the borrower's
personal data are not published.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class ForbiddenClaim:
    code: str
    label: object  # a lazy translated string
    patterns: tuple[re.Pattern, ...]


def _p(*patterns: str) -> tuple[re.Pattern, ...]:
    return tuple(re.compile(p, re.IGNORECASE) for p in patterns)


_KIN_EN = r"(?:relatives?|family|families|parents?|spouse|husband|wife|children|guarantors?|friends?)"
_KIN_ZH = r"(?:亲属|家人|家属|亲友|父母|配偶|子女|朋友|担保人|亲戚)"
_WORK_EN = r"(?:employer|boss|company|colleagues?|workplace|manager|hr)"
_WORK_ZH = r"(?:单位|领导|公司|同事|工作单位|老板|人事)"

FORBIDDEN_CLAIMS: tuple[ForbiddenClaim, ...] = (
    ForbiddenClaim(
        "freeze_relatives_accounts",
        _("Freezing relatives' or family members' accounts"),
        _p(
            rf"freez\w*\b.{{0,40}}\b{_KIN_EN}",
            rf"\b{_KIN_EN}\W{{0,3}}s?\b.{{0,40}}\bfr(?:ee|o)z\w*",
            rf"冻结.{{0,12}}{_KIN_ZH}",
            rf"{_KIN_ZH}.{{0,12}}冻结",
        ),
    ),
    ForbiddenClaim(
        "fine",
        _("Fines (a lender cannot fine a borrower)"),
        _p(r"\bfine[ds]?\b", r"\bfining\b", r"罚款", r"罚金"),
    ),
    ForbiddenClaim(
        "criminal_record",
        _("A criminal record or criminal charges for a civil debt"),
        _p(
            r"criminal\s+(?:record|charges?|liability|case|offen[cs]e|prosecution|proceedings?)",
            r"\bprosecut\w*",
            r"\b(?:jail|prison|imprison\w*)\b",
            r"犯罪记录", r"案底", r"刑事", r"坐牢", r"判刑", r"入狱",
        ),
    ),
    ForbiddenClaim(
        "arrest",
        _("Arrest or the police"),
        _p(r"\barrest\w*", r"\bpolice\b", r"\bdetain\w*", r"逮捕", r"拘留", r"抓捕", r"公安", r"警察", r"报警"),
    ),
    ForbiddenClaim(
        "contact_employer_or_relatives",
        _("Telling the employer, relatives or friends about the debt"),
        _p(
            rf"\b(?:contact|call|inform|notify|tell|visit|write\s+to|text)\w*\s+(?:to\s+)?(?:your\s+|the\s+)?{_WORK_EN}\b",
            rf"\b(?:contact|call|inform|notify|tell|visit|write\s+to|text)\w*\s+(?:to\s+)?(?:your\s+|the\s+)?{_KIN_EN}\b",
            rf"(?:联系|通知|告知|致电|拜访|上门|打电话给|发短信给|找)(?:你的|您的|其)?.{{0,4}}(?:{_WORK_ZH}|{_KIN_ZH})",
        ),
    ),
    ForbiddenClaim(
        "public_exposure",
        _("Publishing or exposing the borrower's personal data"),
        _p(r"\bexpos\w*\b", r"\bpublish\w*\b.{0,30}\b(?:name|photo|details|information|data)\b",
           r"\b(?:shame|shaming)\b", r"曝光", r"通讯录", r"公开.{0,8}(?:信息|身份|照片|姓名)"),
    ),
)

CLAIMS_BY_CODE = {claim.code: claim for claim in FORBIDDEN_CLAIMS}


def forbidden_claims(*texts: str) -> list[ForbiddenClaim]:
    """The forbidden claims found in ``texts`` (each claim once, in the list's order)."""
    joined = "\n".join(t for t in texts if t)
    return [claim for claim in FORBIDDEN_CLAIMS if any(p.search(joined) for p in claim.patterns)]
