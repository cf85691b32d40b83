"""China Telecom's 2016 IPTV government-and-enterprise plan: set-top-box targets by province.

Targets are in 10,000 boxes (4.5 million in all); the launch batch is 1 for the eight
provinces integrated by 8 July and on sale 11 July, 2 for the other 23 (on sale 1 August).
Administrative codes are the GB/T 2260 province codes that name the boundary files.
"""

from __future__ import annotations

import re
from typing import NamedTuple


class Province(NamedTuple):
    name: str  # English name
    name_zh: str  # official Chinese name
    adcode: int
    target_10k: float  # 2016 target, 10,000 set-top boxes
    batch: int  # launch batch (1: on sale 11 July 2016, 2: on sale 1 August 2016)


PROVINCES: tuple[Province, ...] = (
    Province("Guangdong", "广东省", 440000, 53.2, 2),
    Province("Jiangsu", "江苏省", 320000, 40.1, 2),
    Province("Zhejiang", "浙江省", 330000, 29.3, 2),
    Province("Shanghai", "上海市", 310000, 10.4, 2),
    Province("Fujian", "福建省", 350000, 17.8, 2),
    Province("Sichuan", "四川省", 510000, 57.9, 2),
    Province("Anhui", "安徽省", 340000, 18.6, 2),
    Province("Guangxi", "广西壮族自治区", 450000, 16.5, 2),
    Province("Hubei", "湖北省", 420000, 24.0, 1),
    Province("Hunan", "湖南省", 430000, 22.1, 2),
    Province("Jiangxi", "江西省", 360000, 17.4, 2),
    Province("Chongqing", "重庆市", 500000, 14.3, 1),
    Province("Shaanxi", "陕西省", 610000, 16.3, 2),
    Province("Yunnan", "云南省", 530000, 10.1, 1),
    Province("Hainan", "海南省", 460000, 3.8, 2),
    Province("Xinjiang", "新疆维吾尔自治区", 650000, 9.8, 2),
    Province("Gansu", "甘肃省", 620000, 14.3, 1),
    Province("Guizhou", "贵州省", 520000, 6.8, 2),
    Province("Ningxia", "宁夏回族自治区", 640000, 2.9, 2),
    Province("Qinghai", "青海省", 630000, 1.8, 2),
    Province("Tibet", "西藏自治区", 540000, 0.8, 1),
    Province("Beijing", "北京市", 110000, 0.8, 2),
    Province("Tianjin", "天津市", 120000, 1.6, 2),
    Province("Shandong", "山东省", 370000, 12.8, 2),
    Province("Henan", "河南省", 410000, 11.8, 2),
    Province("Hebei", "河北省", 130000, 14.4, 2),
    Province("Liaoning", "辽宁省", 210000, 6.3, 2),
    Province("Shanxi", "山西省", 140000, 5.5, 1),
    Province("Heilongjiang", "黑龙江省", 230000, 3.1, 1),
    Province("Inner Mongolia", "内蒙古自治区", 150000, 3.9, 1),
    Province("Jilin", "吉林省", 220000, 3.2, 2),
)

#: Other spellings seen in data files, normalised (see :func:`_key`).
_ALIASES = {
    "neimenggu": "Inner Mongolia", "neimongol": "Inner Mongolia", "nmg": "Inner Mongolia",
    "xizang": "Tibet", "shensi": "Shaanxi", "guangxizhuang": "Guangxi",
    "ningxiahui": "Ningxia", "xinjianguygur": "Xinjiang", "xinjianguighur": "Xinjiang",
}


def _key(text: str) -> str:
    text = str(text).strip().lower()
    text = re.sub(r"(province|municipality|autonomous region|autonomousregion|sheng|shi)$", "",
                  text.replace(" ", "").replace("-", "").replace("_", ""))
    return text


_BY_KEY: dict[str, Province] = {}
for _p in PROVINCES:
    _BY_KEY[_key(_p.name)] = _p
    _BY_KEY[_p.name_zh] = _p
    _BY_KEY[_p.name_zh.rstrip("省市")] = _p
    _BY_KEY[_p.name_zh[:2]] = _p
    _BY_KEY[str(_p.adcode)] = _p
for _alias, _name in _ALIASES.items():
    _BY_KEY[_alias] = next(p for p in PROVINCES if p.name == _name)
_BY_KEY["内蒙古"] = next(p for p in PROVINCES if p.name == "Inner Mongolia")
_BY_KEY["黑龙江"] = next(p for p in PROVINCES if p.name == "Heilongjiang")


def lookup(name: object) -> Province | None:
    """The province a label in a data file means (English, pinyin, Chinese or code), or None."""
    text = str(name).strip()
    if text in _BY_KEY:
        return _BY_KEY[text]
    return _BY_KEY.get(_key(text))


def total_target_10k() -> float:
    """Sum of the targets, 10,000 boxes (451.6: the plan's "4.5 million")."""
    return round(sum(p.target_10k for p in PROVINCES), 1)


#: Bands of "activated / 2016 target" on the rollout map (a share of the province's target).
SHARE_EDGES = [0.0, 0.5, 0.8, 1.0]
SHARE_LABELS = ["below 50% of target", "50% to 80%", "80% to 100%", "100% or more (on target)"]
SHARE_COLOURS = ["#c0392b", "#e67e22", "#f1c40f", "#2e8b57"]
#: Launch batches are categories: one fixed colour each, by order of going on sale.
BATCH_PALETTE = ["#4c72b0", "#dd8452", "#55a868", "#8172b3", "#937860"]
