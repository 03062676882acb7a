"""The demo data's reference tables and pure helpers: lenders and products, names, places, the mix
of loan states, the demo users, call outcomes; Chinese national ids with their check digit, month
arithmetic, the history run dates."""
from __future__ import annotations

import datetime as dt
import random
from decimal import ROUND_HALF_UP, Decimal

from django.contrib.auth.hashers import PBKDF2PasswordHasher, get_hasher, make_password

from accounts.models import Role
from collections_app import models as m

BATCH = 1000
# Every demo user signs in with this password. Demo data is for trying the product on the embedded
# database only; the README lists the users (tests/docs/test_readme_logins.py keeps them in step).
DEMO_PASSWORD = "demo-pass"
CENT = Decimal("0.01")
DEMO_LENDERS = (
    ("demo-xd", "示范小额贷款有限公司", [("xd-biz", "经营贷", "0.000500", "0.0500", "50.00", 3),
                                    ("xd-consumer", "消费贷", "0.000600", "0.0300", "30.00", 0)]),
    ("demo-bank", "示范银行信用卡中心", [("bank-card", "信用卡分期", "0.000500", "0.0500", "10.00", 3)]),
)
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国志红玉兰文辉海燕鹏飞晓东春梅雪丹宇浩然子涵欣怡俊"
PLACES = [
    # (region, id prefix, province/city/district)
    ("华北", "110105", "北京市朝阳区"), ("华北", "110108", "北京市海淀区"), ("华北", "120101", "天津市和平区"),
    ("华东", "310104", "上海市徐汇区"), ("华东", "320102", "江苏省南京市玄武区"), ("华东", "330106", "浙江省杭州市西湖区"),
    ("华南", "440305", "广东省深圳市南山区"), ("华南", "440106", "广东省广州市天河区"), ("华南", "350203", "福建省厦门市思明区"),
    ("西南", "510104", "四川省成都市锦江区"), ("西南", "500103", "重庆市渝中区"), ("华中", "420106", "湖北省武汉市武昌区"),
]
STREETS = ["人民路", "建设路", "解放大道", "中山路", "和平街", "新华路", "长江路", "青年路", "光明街", "胜利路"]
EMPLOYERS = ["科技有限公司", "商贸有限公司", "建筑工程有限公司", "餐饮管理有限公司", "物流有限公司", "服装厂",
             "汽车维修中心", "装饰工程有限公司", "超市", "医药连锁有限公司"]
RELATIONS = ["配偶", "父亲", "母亲", "兄弟", "姐妹", "同事", "朋友"]
PHONE_PREFIXES = ["130", "131", "132", "135", "136", "137", "138", "139", "150", "151", "152", "155", "158", "159",
                  "166", "176", "177", "180", "181", "186", "187", "188", "189", "191", "199"]
# target state of a loan -> (share, DPD range)
MIX = [("settled", 5, None), ("current", 25, None), ("M0", 15, (1, 30)), ("M1", 12, (31, 60)), ("M2", 10, (61, 90)),
       ("M3", 9, (91, 120)), ("M4", 8, (121, 150)), ("M4+", 16, (151, 700))]
ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
ID_CHECK = "10X98765432"
USERS = (
    # role, username prefix, count, team index per user (None = no team)
    (Role.ADMIN, "admin", 2),
    (Role.SUPERVISOR, "supervisor", 3),
    (Role.COLLECTOR, "collector", 12),
    (Role.FIELD_AGENT, "agent", 3),
)
OUTCOMES = [(m.Outcome.NO_ANSWER, 30), (m.Outcome.BUSY, 8), (m.Outcome.SWITCHED_OFF, 8), (m.Outcome.RPC, 20),
            (m.Outcome.PROMISE, 12), (m.Outcome.REFUSED, 6), (m.Outcome.THIRD_PARTY, 8), (m.Outcome.WRONG_NUMBER, 4),
            (m.Outcome.DISPUTE, 2)]


def national_id_check_digit(first17: str) -> str:
    return ID_CHECK[sum(int(c) * w for c, w in zip(first17, ID_WEIGHTS, strict=True)) % 11]


def make_national_id(rng: random.Random, prefix: str) -> str:
    birth = dt.date(1965, 1, 1) + dt.timedelta(days=rng.randrange(0, 365 * 38))
    body = f"{prefix}{birth:%Y%m%d}{rng.randrange(0, 1000):03d}"
    return body + national_id_check_digit(body)


def add_months(day: dt.date, months: int) -> dt.date:
    month = day.month - 1 + months
    year = day.year + month // 12
    month = month % 12 + 1
    for d in (day.day, 30, 29, 28):
        try:
            return dt.date(year, month, d)
        except ValueError:
            continue
    raise ValueError(day)


def demo_password_hash(password: str) -> str:
    """A valid PBKDF2 hash with few iterations (fast to seed); Django re-hashes it at full
    strength on the user's first login."""
    hasher = get_hasher()
    if not isinstance(hasher, PBKDF2PasswordHasher):
        return make_password(password)
    return hasher.encode(password, hasher.salt(), iterations=20_000)


def money(value) -> Decimal:
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def history_dates(today: dt.date, months: int, days: int = 0) -> list[dt.date]:
    """Business dates for the history runs: the last day of each of the ``months`` months before
    ``today``'s month (so a month's roll rates compare its first and last day), plus ``today - days``."""
    first = today.replace(day=1)
    dates = {add_months(first, -k + 1) - dt.timedelta(days=1) for k in range(1, months + 1)}
    if days > 0:
        dates.add(today - dt.timedelta(days=days))
    return sorted(d for d in dates if d < today)
