from .agency import Agency, AgencyPlacement, AgencyRate, PlacementPayment, RecallReason
from .cases import (
    ApprovalRequest,
    AssignmentHistory,
    CaseAction,
    CaseNote,
    CollectionCase,
    Complaint,
    ContactLog,
    FieldVisit,
    Letter,
    PromiseToPay,
    Target,
)
from .choices import *  # noqa: F403
from .disputes import CaseDocument, Dispute
from .figures import DailyFigures, FiguresChange, FiguresDay
from .imports import ImportJob, PersonalDataAccess
from .legal import LegalCase, LegalCost, LegalCostKind, LegalDocument, LegalStage, LegalStageChange
from .loans import AgingPause, BucketHistory, Installment, Loan, LoanRecalc, Payment
from .messages import Campaign, Message, MessageTemplate
from .parties import BlacklistEntry, Borrower, ContactPoint, Lender, Product, RetentionMode
from .quality import QualityChecklist, QualityItem, QualityReview, QualitySample, QualityScore
from .reports import Report, ReportKind, ReportScope, ReportStatus
from .settlements import PaymentPlan, PlanInstallment, SettlementOffer, SettlementTerms
from .strategy import Bucket, DelinquencyRun, DelinquencyRunChunk, StrategyRule, StrategyVersion

__all__ = [
    "Agency",
    "AgencyPlacement",
    "AgencyRate",
    "LegalCase",
    "LegalCost",
    "LegalCostKind",
    "LegalDocument",
    "LegalStage",
    "LegalStageChange",
    "PlacementPayment",
    "RecallReason",
    "AgingPause",
    "ApprovalRequest",
    "AssignmentHistory",
    "BlacklistEntry",
    "Borrower",
    "Bucket",
    "BucketHistory",
    "Campaign",
    "CaseAction",
    "CaseDocument",
    "CaseNote",
    "CollectionCase",
    "Complaint",
    "ContactLog",
    "ContactPoint",
    "DailyFigures",
    "FiguresChange",
    "FiguresDay",
    "DelinquencyRun",
    "DelinquencyRunChunk",
    "Dispute",
    "FieldVisit",
    "ImportJob",
    "Installment",
    "Lender",
    "Letter",
    "Loan",
    "LoanRecalc",
    "Message",
    "MessageTemplate",
    "Payment",
    "PaymentPlan",
    "PersonalDataAccess",
    "PlanInstallment",
    "Product",
    "QualityChecklist",
    "QualityItem",
    "QualityReview",
    "QualitySample",
    "QualityScore",
    "PromiseToPay",
    "Report",
    "ReportKind",
    "ReportScope",
    "ReportStatus",
    "RetentionMode",
    "SettlementOffer",
    "SettlementTerms",
    "StrategyRule",
    "StrategyVersion",
    "Target",
]
