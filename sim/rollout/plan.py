"""Fixed facts of the 2016 plan (seed 003): provinces, verticals, enterprise segment codes.

Targets are in 10,000 accounts (户; one box each in this model), 451.6 in all. ``north``
marks the ten northern provinces where broadband + IPTV households earn the northern
incentive (China Telecom's usual "northern ten": Beijing, Tianjin, Hebei, Shanxi, Inner
Mongolia, Liaoning, Jilin, Heilongjiang, Shandong, Henan).
"""

from __future__ import annotations

from typing import NamedTuple


class PlanProvince(NamedTuple):
    name: str
    name_zh: str
    adcode: int
    target_10k: float
    north: bool


PROVINCES: tuple[PlanProvince, ...] = (
    PlanProvince("Guangdong", "广东", 440000, 53.2, False),
    PlanProvince("Jiangsu", "江苏", 320000, 40.1, False),
    PlanProvince("Zhejiang", "浙江", 330000, 29.3, False),
    PlanProvince("Shanghai", "上海", 310000, 10.4, False),
    PlanProvince("Fujian", "福建", 350000, 17.8, False),
    PlanProvince("Sichuan", "四川", 510000, 57.9, False),
    PlanProvince("Anhui", "安徽", 340000, 18.6, False),
    PlanProvince("Guangxi", "广西", 450000, 16.5, False),
    PlanProvince("Hubei", "湖北", 420000, 24.0, False),
    PlanProvince("Hunan", "湖南", 430000, 22.1, False),
    PlanProvince("Jiangxi", "江西", 360000, 17.4, False),
    PlanProvince("Chongqing", "重庆", 500000, 14.3, False),
    PlanProvince("Shaanxi", "陕西", 610000, 16.3, False),
    PlanProvince("Yunnan", "云南", 530000, 10.1, False),
    PlanProvince("Hainan", "海南", 460000, 3.8, False),
    PlanProvince("Xinjiang", "新疆", 650000, 9.8, False),
    PlanProvince("Gansu", "甘肃", 620000, 14.3, False),
    PlanProvince("Guizhou", "贵州", 520000, 6.8, False),
    PlanProvince("Ningxia", "宁夏", 640000, 2.9, False),
    PlanProvince("Qinghai", "青海", 630000, 1.8, False),
    PlanProvince("Tibet", "西藏", 540000, 0.8, False),
    PlanProvince("Beijing", "北京", 110000, 0.8, True),
    PlanProvince("Tianjin", "天津", 120000, 1.6, True),
    PlanProvince("Shandong", "山东", 370000, 12.8, True),
    PlanProvince("Henan", "河南", 410000, 11.8, True),
    PlanProvince("Hebei", "河北", 130000, 14.4, True),
    PlanProvince("Liaoning", "辽宁", 210000, 6.3, True),
    PlanProvince("Shanxi", "山西", 140000, 5.5, True),
    PlanProvince("Heilongjiang", "黑龙江", 230000, 3.1, True),
    PlanProvince("Inner Mongolia", "内蒙古", 150000, 3.9, True),
    PlanProvince("Jilin", "吉林", 220000, 3.2, True),
)
BY_NAME = {p.name: p for p in PROVINCES}

#: The first five provinces (product loaded by end of June) and the two launch batches.
FIRST_FIVE = ("Shanxi", "Hubei", "Chongqing", "Yunnan", "Gansu")
BATCH_1 = FIRST_FIVE + ("Tibet", "Inner Mongolia", "Heilongjiang")

#: Verticals, named as the IPTV model's site verticals (hand-over keeps them).
VERTICALS = ("hotel", "school", "dormitory", "barracks", "hospital", "chain_store",
             "residential")

#: The seed's 3-level "government and enterprise customer segment" codes (appendix 4).
SEGMENT_CODES: dict[int, str] = {
    1001000: "国家机构", 1002000: "国家武装力量", 1003001: "中国共产党机关",
    1003002: "政党机关和社会团体", 1101001: "商业银行", 1101002: "中央及政策性银行",
    1101003: "其他金融活动", 1102000: "证券", 1103000: "保险",
    1201001: "交通运输、仓储和邮政业", 1201002: "水电热气的生产和供应业",
    1202001: "通信设备、计算机及其他电子设备制造业", 1202002: "采矿业和一般制造业",
    1203000: "运营商及ISP", 1204001: "水利、环境及公共设施管理业", 1204002: "商务服务业",
    1204003: "住宿业", 1204004: "餐饮业", 1204005: "批发和零售业", 1204006: "房地产和建筑业",
    1204007: "其他行业(农林牧副渔)", 1301001: "通信设备、计算机及其他电子设备制造业",
    1301002: "采矿业和一般制造业", 1302001: "交通运输、仓储", 1302002: "水电热气的生产和供应业",
    1303001: "房地产和建筑业", 1303002: "水利、环境及公共设施管理业", 1303003: "信息服务业",
    1303004: "其他行业(农林牧副渔)", 1401001: "住宿业", 1401002: "旅行社", 1401003: "餐饮业",
    1402001: "科研院所", 1402002: "教育院校", 1403000: "医院", 1404000: "批发零售",
    1405000: "网吧", 1406001: "文化、体育及娱乐业", 1406002: "其他商务服务业",
    1406003: "其他公共服务业", 1406004: "社会保障和社会福利业", 9999999: "其他",
}
