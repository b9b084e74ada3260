"""An independent listing of the Omaha System (2005) for tests to compare against.

Typed by hand from the sources in OMAHA-SOURCES.md, separately from
care/omaha_reference.json and in a different shape, so that a typo in either one
shows up as a mismatch. Sign lists here follow the NZHTS CodeSystem's code order
(respelled in US English) and are sets: the JSON's sign order follows a second
source (OpenHCOS), so compare signs as sets, not as lists.

Not a test module itself (no test_ prefix); import it from one.
"""

# Domain codes as used in the JSON.
DOMAINS = (
    ("env", "Environmental"),
    ("psy", "Psychosocial"),
    ("phy", "Physiological"),
    ("hrb", "Health-related behaviors"),
)

# (number, problem, domain code)
PROBLEMS = (
    (1, "Income", "env"),
    (2, "Sanitation", "env"),
    (3, "Residence", "env"),
    (4, "Neighborhood/workplace safety", "env"),
    (5, "Communication with community resources", "psy"),
    (6, "Social contact", "psy"),
    (7, "Role change", "psy"),
    (8, "Interpersonal relationship", "psy"),
    (9, "Spirituality", "psy"),
    (10, "Grief", "psy"),
    (11, "Mental health", "psy"),
    (12, "Sexuality", "psy"),
    (13, "Caretaking/parenting", "psy"),
    (14, "Neglect", "psy"),
    (15, "Abuse", "psy"),
    (16, "Growth and development", "psy"),
    (17, "Hearing", "phy"),
    (18, "Vision", "phy"),
    (19, "Speech and language", "phy"),
    (20, "Oral health", "phy"),
    (21, "Cognition", "phy"),
    (22, "Pain", "phy"),
    (23, "Consciousness", "phy"),
    (24, "Skin", "phy"),
    (25, "Neuro-musculo-skeletal function", "phy"),
    (26, "Respiration", "phy"),
    (27, "Circulation", "phy"),
    (28, "Digestion-hydration", "phy"),
    (29, "Bowel function", "phy"),
    (30, "Urinary function", "phy"),
    (31, "Reproductive function", "phy"),
    (32, "Pregnancy", "phy"),
    (33, "Postpartum", "phy"),
    (34, "Communicable/infectious condition", "phy"),
    (35, "Nutrition", "hrb"),
    (36, "Sleep and rest patterns", "hrb"),
    (37, "Physical activity", "hrb"),
    (38, "Personal care", "hrb"),
    (39, "Substance use", "hrb"),
    (40, "Family planning", "hrb"),
    (41, "Health care supervision", "hrb"),
    (42, "Medication regimen", "hrb"),
)

# Problem number -> set of signs/symptoms ("other" included in every problem).
SIGNS = {
    1: frozenset(
        {
            "low/no income",
            "uninsured medical expenses",
            "difficulty with money management",
            "able to buy only necessities",
            "difficulty buying necessities",
            "other",
        }
    ),
    2: frozenset(
        {
            "soiled living area",
            "inadequate food storage/disposal",
            "insects/rodents",
            "foul odor",
            "inadequate water supply",
            "inadequate sewage disposal",
            "inadequate laundry facilities",
            "allergens",
            "infectious/contaminating agents",
            "other",
            "presence of mold",
            "excessive pets",
        }
    ),
    3: frozenset(
        {
            "structurally unsound",
            "inadequate heating/cooling",
            "steep/unsafe stairs",
            "inadequate/obstructed exits/entries",
            "cluttered living space",
            "unsafe storage of dangerous objects/substances",
            "unsafe mats/throw rugs",
            "inadequate safety devices",
            "presence of lead-based paint",
            "unsafe appliances/equipment",
            "inadequate/crowded living space",
            "homeless",
            "other",
            "exposed wiring",
            "structural barriers",
        }
    ),
    4: frozenset(
        {
            "high crime rate",
            "high pollution level",
            "uncontrolled/dangerous/infected animals",
            "physical hazards",
            "inadequate/unsafe play/exercise areas",
            "other",
            "inadequate space/resources to foster health",
            "threats/reports of violence",
            "vehicle/traffic hazards",
            "chemical hazards",
            "radiological hazards",
        }
    ),
    5: frozenset(
        {
            "unfamiliar with options/procedures for obtaining services",
            "difficulty understanding roles/regulations of service providers",
            "unable to communicate concerns to provider",
            "dissatisfaction with services",
            "language barrier",
            "inadequate/unavailable resources",
            "other",
            "cultural barrier",
            "educational barrier",
            "transportation barrier",
            "limited access to care/services/goods",
            "unable to use/has inadequate communication devices/equipment",
        }
    ),
    6: frozenset(
        {
            "limited social contact",
            "uses health care provider for social contact",
            "minimal outside stimulation/leisure time activities",
            "other",
        }
    ),
    7: frozenset(
        {
            "assumes new role",
            "loses previous role",
            "other",
            "involuntary role reversal",
        }
    ),
    8: frozenset(
        {
            "difficulty establishing/maintaining relationships",
            "minimal shared activities",
            "incongruent values/goals/expectations/schedules",
            "inadequate interpersonal communication skills",
            "prolonged, unrelieved tension",
            "other",
            "inappropriate suspicion/manipulation/control",
            "physically/emotionally abusive to partner",
            "difficulty problem solving without conflict",
        }
    ),
    9: frozenset(
        {
            "expresses spiritual concerns",
            "disrupted spiritual rituals",
            "disrupted spiritual trust",
            "conflicting spiritual beliefs and medical/health care regimen",
            "other",
        }
    ),
    10: frozenset(
        {
            "fails to recognize stages of grief/process of healing",
            "difficulty coping with grief responses",
            "difficulty expressing grief responses",
            "conflicting stages of grief among individuals/families",
            "other",
        }
    ),
    11: frozenset(
        {
            "sadness/hopelessness/decreased self-esteem",
            "apprehension/undefined fear",
            "loss of interest/involvement in activities/self-care",
            "flat affect",
            "difficulty managing stress",
            "somatic complaints/fatigue",
            "other",
            "narrowed to scattered attention/focus",
            "irritable/agitated/aggressive",
            "purposeless/compulsive activity",
            "difficulty managing anger",
            "delusions",
            "hallucinations/illusions",
            "expresses suicidal/homicidal thoughts",
            "attempts suicide/homicide",
            "self-mutilation",
            "mood swings",
            "flash-backs",
        }
    ),
    12: frozenset(
        {
            "difficulty recognizing consequences of sexual behavior",
            "difficulty expressing intimacy",
            "sexual identity confusion",
            "sexual value confusion",
            "dissatisfied with sexual relationships",
            "other",
            "unsafe sexual practices",
            "sexual acting out/provocative behaviors/harassment",
            "sexual perpetration/assault",
        }
    ),
    13: frozenset(
        {
            "difficulty providing physical care/safety",
            "difficulty providing emotional nurturance",
            "difficulty providing cognitive learning experiences and activities",
            "difficulty providing preventive and therapeutic health care",
            "expectations incongruent with stage of growth and development",
            "dissatisfaction/difficulty with responsibilities",
            "neglectful",
            "abusive",
            "other",
            "difficulty interpreting or responding to verbal/nonverbal communication",
        }
    ),
    14: frozenset(
        {
            "lacks adequate physical care",
            "lacks emotional nurturance/support",
            "lacks appropriate stimulation/cognitive experiences",
            "inappropriately left alone",
            "lacks necessary supervision",
            "inadequate/delayed medical care",
            "other",
        }
    ),
    15: frozenset(
        {
            "harsh/excessive discipline",
            "welts/bruises/burns/other injuries",
            "questionable explanation of injury",
            "attacked verbally",
            "fearful/hypervigilant behavior",
            "violent environment",
            "consistent negative messages",
            "assaulted sexually",
            "other",
        }
    ),
    16: frozenset(
        {
            "abnormal results of developmental screening tests",
            "abnormal weight/height/head circumference in relation to growth/age standards",
            "age-inappropriate behavior",
            "inadequate achievement/maintenance of developmental tasks",
            "other",
        }
    ),
    17: frozenset(
        {
            "difficulty hearing normal speech tones",
            "absent/abnormal response to sound",
            "abnormal results of hearing screening test",
            "other",
            "difficulty hearing speech in large group settings",
            "difficulty hearing high frequency sounds",
        }
    ),
    18: frozenset(
        {
            "difficulty seeing small print/calibrations",
            "difficulty seeing distant objects",
            "difficulty seeing close objects",
            "absent/abnormal response to visual stimuli",
            "abnormal results of vision screening test",
            "squinting/blinking/tearing/blurring",
            "difficulty differentiating colors",
            "other",
            "floaters/flashes",
        }
    ),
    19: frozenset(
        {
            "absent/abnormal ability to speak/vocalize",
            "absent/abnormal ability to understand",
            "lacks alternative communication skills/gestures",
            "inappropriate sentence structure",
            "limited enunciation/clarity",
            "inappropriate word usage",
            "other",
        }
    ),
    20: frozenset(
        {
            "missing/broken/malformed teeth",
            "caries",
            "excess tartar",
            "sore/swollen/bleeding gums",
            "malocclusion",
            "ill-fitting/missing dentures",
            "sensitivity to hot or cold",
            "other",
        }
    ),
    21: frozenset(
        {
            "diminished judgment",
            "disoriented to time/place/person",
            "limited recall of recent events",
            "limited recall of long past events",
            "limited calculating/sequencing skills",
            "limited concentration",
            "limited reasoning/abstract thinking ability",
            "impulsiveness",
            "repetitious language/behavior",
            "other",
            "wanders",
        }
    ),
    22: frozenset(
        {
            "expresses discomfort/pain",
            "elevated pulse/respirations/blood pressure",
            "compensated movement/guarding",
            "restless behavior",
            "facial grimaces",
            "pallor/perspiration",
            "other",
        }
    ),
    23: frozenset({"lethargic", "stuporous", "unresponsive", "comatose", "other"}),
    24: frozenset(
        {
            "lesion/pressure ulcer",
            "rash",
            "excessively dry",
            "excessively oily",
            "inflammation",
            "pruritus",
            "drainage",
            "bruising",
            "hypertrophy of nails",
            "other",
            "delayed incisional healing",
        }
    ),
    25: frozenset(
        {
            "limited range of motion",
            "decreased muscle strength",
            "decreased coordination",
            "decreased muscle tone",
            "increased muscle tone",
            "decreased sensation",
            "increased sensation",
            "decreased balance",
            "gait/ambulation disturbance",
            "tremors/seizures",
            "other",
            "difficulty transferring",
            "fractures",
            "difficulty with thermoregulation",
        }
    ),
    26: frozenset(
        {
            "abnormal breath patterns",
            "unable to breathe independently",
            "cough",
            "unable to cough/expectorate independently",
            "cyanosis",
            "abnormal sputum",
            "noisy respirations",
            "rhinorrhea/nasal congestion",
            "abnormal breath sounds",
            "other",
            "abnormal respiratory laboratory results",
        }
    ),
    27: frozenset(
        {
            "edema",
            "cramping/pain of extremities",
            "decreased pulses",
            "discoloration of skin/cyanosis",
            "temperature change in affected area",
            "varicosities",
            "syncopal episodes (fainting)/dizziness",
            "abnormal blood pressure reading",
            "pulse deficit",
            "irregular heart rate",
            "excessively rapid heart rate",
            "excessively slow heart rate",
            "anginal pain",
            "abnormal heart sounds/murmurs",
            "other",
            "abnormal clotting",
            "abnormal cardiac laboratory results",
        }
    ),
    28: frozenset(
        {
            "nausea/vomiting",
            "difficulty/inability to chew/swallow/digest",
            "indigestion",
            "reflux",
            "anorexia",
            "anemia",
            "ascites",
            "jaundice/liver enlargement",
            "decreased skin turgor",
            "cracked lips/dry mouth",
            "electrolyte imbalance",
            "other",
        }
    ),
    29: frozenset(
        {
            "abnormal frequency/consistency of stool",
            "painful defecation",
            "decreased bowel sounds",
            "blood in stools",
            "abnormal color",
            "cramping/abdominal discomfort",
            "incontinent of stool",
            "other",
        }
    ),
    30: frozenset(
        {
            "burning/painful urination",
            "incontinent of urine",
            "urgency/frequency",
            "difficulty initiating urination",
            "difficulty emptying bladder",
            "abnormal amount",
            "hematuria/abnormal color",
            "nocturia",
            "abnormal urinary laboratory results",
            "other",
        }
    ),
    31: frozenset(
        {
            "abnormal discharge",
            "abnormal menstrual pattern",
            "difficulty managing menopause/andropause",
            "abnormal lumps/swelling/tenderness of genital organs or breasts",
            "pain during or after sexual intercourse",
            "infertility",
            "impotency",
            "other",
        }
    ),
    32: frozenset(
        {
            "difficulty bonding with unborn baby",
            "difficulty coping with body changes",
            "difficulty with prenatal exercise/rest/diet/behaviors",
            "fears delivery procedure",
            "prenatal complications/preterm labor",
            "inadequate social support",
            "other",
        }
    ),
    33: frozenset(
        {
            "difficulty breast-feeding",
            "difficulty coping with postpartum changes",
            "difficulty with postpartum exercise/rest/diet/behaviors",
            "abnormal bleeding/vaginal discharge",
            "postpartum complications",
            "abnormal depressed feelings",
            "other",
        }
    ),
    34: frozenset(
        {
            "infection",
            "infestation",
            "fever",
            "biological hazards",
            "positive screening/culture/laboratory results",
            "inadequate supplies/equipment/policies to prevent transmission",
            "does not follow infection control regimen",
            "inadequate immunity",
            "other",
        }
    ),
    35: frozenset(
        {
            "lacks established standards for daily caloric/fluid intake",
            "exceeds established standards for daily caloric/fluid intake",
            "unbalanced diet",
            "improper feeding schedule for age",
            "does not follow recommended nutrition plan",
            "unexplained/progressive weight loss",
            "hypoglycemia",
            "hyperglycemia",
            "other",
            "overweight: adult BMI 25.0 or more; child BMI 95th percentile or more",
            "underweight: adult BMI 18.5 or less; child BMI 5th percentile or less",
            "unable to obtain/prepare food",
        }
    ),
    36: frozenset(
        {
            "sleep/rest pattern disrupts family",
            "frequently wakes during night",
            "sleepwalking",
            "insomnia",
            "nightmares",
            "insufficient sleep/rest for age/physical condition",
            "other",
            "sleep apnea",
            "snoring",
        }
    ),
    37: frozenset(
        {
            "sedentary life style",
            "inadequate/inconsistent exercise routine",
            "inappropriate type/amount of exercise for age/physical condition",
            "other",
        }
    ),
    38: frozenset(
        {
            "difficulty laundering clothing",
            "difficulty with bathing",
            "foul body odor",
            "difficulty shampooing/combing hair",
            "difficulty brushing/flossing/mouth care",
            "other",
            "difficulty with toileting activities",
            "difficulty dressing lower body",
            "difficulty dressing upper body",
            "unwilling/unable/forgets to complete personal care activities",
        }
    ),
    39: frozenset(
        {
            "abuses alcohol",
            "smokes/uses tobacco products",
            "difficulty performing normal routines",
            "reflex disturbances",
            "behavior change",
            "other",
            "abuses over-the-counter/prescription medications",
            "uses 'street'-recreational drugs",
            "exposure to cigarette/cigar smoke",
            "buys/sells illegal substances",
        }
    ),
    40: frozenset(
        {
            "inappropriate/insufficient knowledge about family planning methods",
            "inaccurate/inconsistent use of family planning methods",
            "dissatisfied with present family planning method",
            "other",
            "inappropriate/insufficient knowledge about preconception health practices",
            "fears others' reactions regarding family planning choices",
            "difficulty obtaining family planning methods",
        }
    ),
    41: frozenset(
        {
            "fails to obtain routine/preventive health care",
            "fails to seek care for symptoms requiring evaluation/treatment",
            "fails to return as requested to health care provider",
            "inability to coordinate multiple appointments/treatment plans",
            "inconsistent source of health care",
            "inadequate treatment plan",
            "other",
            "inadequate source of health care",
        }
    ),
    42: frozenset(
        {
            "does not follow recommended dosage/schedule",
            "evidence of side effects/adverse reactions",
            "inadequate system for taking medication",
            "improper storage of medication",
            "fails to obtain refills appropriately",
            "fails to obtain immunizations",
            "other",
            "inadequate medication regimen",
            "unable to take medications without help",
        }
    ),
}

# Problem modifiers.
SCOPE_MODIFIERS = ("individual", "family", "community")
SEVERITY_MODIFIERS = ("health promotion", "potential", "actual")

# Intervention Scheme: four categories, numbered 1-4 in this order.
CATEGORIES = (
    "Teaching, Guidance, and Counseling",
    "Treatments and Procedures",
    "Case Management",
    "Surveillance",
)

# The 75 named targets, alphabetical; target number = position + 1 (1-75).
TARGETS = (
    "anatomy/physiology",
    "anger management",
    "behavior modification",
    "bladder care",
    "bonding/attachment",
    "bowel care",
    "cardiac care",
    "caretaking/parenting skills",
    "cast care",
    "communication",
    "community outreach worker services",
    "continuity of care",
    "coping skills",
    "day care/respite",
    "dietary management",
    "discipline",
    "dressing change/wound care",
    "durable medical equipment",
    "education",
    "employment",
    "end-of-life care",
    "environment",
    "exercises",
    "family planning care",
    "feeding procedures",
    "finances",
    "gait training",
    "genetics",
    "growth/development care",
    "home",
    "homemaking/housekeeping",
    "infection precautions",
    "interaction",
    "interpreter/translator services",
    "laboratory findings",
    "legal system",
    "medical/dental care",
    "medication action/side effects",
    "medication administration",
    "medication coordination/ordering",
    "medication prescription",
    "medication set-up",
    "mobility/transfers",
    "nursing care",
    "nutritionist care",
    "occupational therapy care",
    "ostomy care",
    "other community resources",
    "paraprofessional/aide care",
    "personal hygiene",
    "physical therapy care",
    "positioning",
    "recreational therapy care",
    "relaxation/breathing techniques",
    "respiratory care",
    "respiratory therapy care",
    "rest/sleep",
    "safety",
    "screening procedures",
    "sickness/injury care",
    "signs/symptoms-mental/emotional",
    "signs/symptoms-physical",
    "skin care",
    "social work/counseling care",
    "specimen collection",
    "speech and language pathology care",
    "spiritual care",
    "stimulation/nurturance",
    "stress management",
    "substance use cessation",
    "supplies",
    "support group",
    "support system",
    "transportation",
    "wellness",
)

# "other" is not one of the 75; it follows them.
TARGET_OTHER = (76, "other")

# Problem Rating Scale for Outcomes: anchors for ratings 1..5, in order.
KNOWLEDGE = (
    "No knowledge",
    "Minimal knowledge",
    "Basic knowledge",
    "Adequate knowledge",
    "Superior knowledge",
)
BEHAVIOR = (
    "Not appropriate behavior",
    "Rarely appropriate behavior",
    "Inconsistently appropriate behavior",
    "Usually appropriate behavior",
    "Consistently appropriate behavior",
)
STATUS = (
    "Extreme signs/symptoms",
    "Severe signs/symptoms",
    "Moderate signs/symptoms",
    "Minimal signs/symptoms",
    "No signs/symptoms",
)
