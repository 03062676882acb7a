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
from .figures import DailyFigures
from .imports import ImportJob, PersonalDataAccess
from .legal import LegalCase, LegalCost, LegalCostKind, LegalDocument, LegalStage, LegalStageChange
from .loans import AgingPause, BucketHistory, Installment, Loan, Payment
from .parties import BlacklistEntry, Borrower, ContactPoint, Lender, Product, RetentionMode
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
    "CaseAction",
    "CaseNote",
    "CollectionCase",
    "Complaint",
    "ContactLog",
    "ContactPoint",
    "DailyFigures",
    "DelinquencyRun",
    "DelinquencyRunChunk",
    "FieldVisit",
    "ImportJob",
    "Installment",
    "Lender",
    "Letter",
    "Loan",
    "Payment",
    "PersonalDataAccess",
    "Product",
    "PromiseToPay",
    "RetentionMode",
    "StrategyRule",
    "StrategyVersion",
    "Target",
]
