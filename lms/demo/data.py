"""Names and places for the demo organisation (fictional)."""

DEMO_PASSWORD = "demo-password"  # noqa: S105  (public by design: demo mode only)

ORG_SETTINGS = {
    "name": "Example Group",
    "hotline": "400-820-1234",
    "hotline_hours": "24 hours a day, 7 days a week, in Chinese and English",
    "report_email": "speakup@example.com",
    "report_web": "https://speakup.example.com",
    "investigation_team": "Workplace Conduct Investigations Office",
    "investigation_email": "investigations@example.com",
    "ethics_committee": "Ethics and Compliance Committee",
    "appeals": "the Conduct Appeals Panel",
    "appeals_email": "appeals@example.com",
    "counselling_line": "400-820-5678",
    "legal_support_line": "400-820-9012",
    "hr_contact": "hr@example.com",
    "gift_limit": "CNY 200",
    "security_line": "400-820-3456",
    "emergency_number": "110 (police), 120 (ambulance)",
}
# The text settings as Chinese readers see them (a course in Chinese reads them inside Chinese
# sentences); numbers, e-mails and the portal's address are the same in every language.
ORG_SETTINGS_TRANSLATED = {
    "zh-Hans": {
        "name": "示例集团",
        "hotline_hours": "每周 7 天、每天 24 小时，提供中英文服务",
        "investigation_team": "职场行为调查办公室",
        "ethics_committee": "道德与合规委员会",
        "appeals": "行为申诉委员会",
        "gift_limit": "人民币 200 元",
        "emergency_number": "110（报警）、120（急救）",
    },
}

LOCATIONS = [
    ("Hangzhou", "Asia/Shanghai"),
    ("Shanghai", "Asia/Shanghai"),
    ("Beijing", "Asia/Shanghai"),
    ("Shenzhen", "Asia/Shanghai"),
    ("Singapore", "Asia/Singapore"),
    ("Dublin", "Europe/Dublin"),
]

DEPARTMENTS = [
    "Sales", "Customer Service", "Engineering", "Finance", "Human Resources", "Legal",
    "Marketing", "Operations", "Procurement", "Logistics",
]

FAMILY_NAMES = ["王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱",
                "胡", "郭", "何", "林", "高", "罗"]
GIVEN_NAMES = ["伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟",
               "涛", "明", "超", "秀英", "霞", "平", "刚", "桂英", "晨", "欣怡", "子涵", "浩然"]
LATIN_NAMES = [
    "Priya Raman", "Tom O'Brien", "Aisha Bello", "Marco Rossi", "Sarah Kelly", "Daniel Tan",
    "Nguyen Thi Lan", "Sean Murphy", "Chloé Martin", "Kenji Sato", "Fatima Khan", "Liam Byrne",
    "Ana García", "Rahul Mehta", "Emma Walsh", "Siobhán Ní Bhriain",
]
JOB_TITLES = {
    "Sales": ["Account Manager", "Sales Representative", "Key Account Director"],
    "Customer Service": ["Service Agent", "Service Team Lead"],
    "Engineering": ["Software Engineer", "QA Engineer", "Site Reliability Engineer"],
    "Finance": ["Accountant", "Financial Analyst"],
    "Human Resources": ["HR Business Partner", "Workplace Investigator", "Recruiter"],
    "Legal": ["Counsel", "Compliance Officer"],
    "Marketing": ["Marketing Specialist", "Brand Manager"],
    "Operations": ["Operations Coordinator", "Shift Supervisor"],
    "Procurement": ["Buyer", "Category Manager"],
    "Logistics": ["Warehouse Associate", "Logistics Planner"],
}
