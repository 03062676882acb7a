"""accounts/roles.py: masking of phone numbers and national ids."""
import pytest

from accounts import roles


@pytest.mark.parametrize(
    ("value", "masked"),
    [("13812345678", "138****5678"), ("12345", "12***"), ("", "")],
)
def test_mask_phone(value, masked):
    assert roles.mask_phone(value) == masked


def test_mask_national_id():
    assert roles.mask_national_id("110101199001011234") == "1101**********1234"
