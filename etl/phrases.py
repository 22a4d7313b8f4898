"""Phrase banks for the demo generator: what people really write to an agency, per theme and tone.

Modern Standard Arabic and Gulf dialect side by side, some English. Kept apart from generate.py so
that the wording can grow without touching the sampling code. ``{n}`` in a phrase is replaced by a
number (a ticket, a count of days) so that texts vary.
"""

from __future__ import annotations

# theme -> tone -> language -> phrases. Tones: neg, neu, pos.
BANK: dict[str, dict[str, dict[str, list[str]]]] = {
    "call_center": {
        "neg": {
            "ar": [
                "اتصلت على 1909 أكثر من {n} مرات والخط مشغول دائماً",
                "انتظرت على الخط نص ساعة وبعدين انقطعت المكالمة",
                "مركز الاتصال ما يردون أبداً، وش الفايدة من الرقم؟",
                "الموظف في مركز الاتصال حولني لقسم ثاني وما أحد رد",
                "لا أنصح بالاتصال على الرقم الموحد، الانتظار طويل جداً",
                "مو زين التعامل في مركز الاتصال، قفلوا الخط بوجهي",
            ],
            "en": [
                "I called 1909 {n} times and nobody answers",
                "Waited on hold for 40 minutes, the call centre line just drops",
            ],
        },
        "neu": {
            "ar": [
                "هل مركز الاتصال 1909 يعمل في أيام العيد؟",
                "أرغب في معرفة أوقات عمل مركز الاتصال الموحد",
                "متى يرد مركز الاتصال على الطلبات المسجلة؟",
            ],
            "en": ["What are the working hours of the 1909 call centre?"],
        },
        "pos": {
            "ar": [
                "الموظف في مركز الاتصال 1909 كان متعاون جداً وحل مشكلتي",
                "شكراً لمركز الاتصال على سرعة الرد والتعامل الراقي",
            ],
            "en": ["The 1909 agent was very helpful, thank you"],
        },
    },
    "usability": {
        "neg": {
            "ar": [
                "تصميم الموقع معقد وصعب الاستخدام، ما لقيت الخدمة",
                "الخط صغير في التطبيق والقائمة مو واضحة",
                "البحث في الموقع لا يعمل بشكل صحيح ولا يعطي نتائج",
                "الواجهة الجديدة ما عجبتني، كانت القديمة أسهل",
                "الترجمة الإنجليزية في الموقع ناقصة وفيها أخطاء",
            ],
            "en": [
                "The website is confusing, the menu is hard to use",
                "The app layout is cluttered and the font is too small",
            ],
        },
        "neu": {
            "ar": [
                "أين أجد صفحة الخدمات الإلكترونية في الموقع؟",
                "هل يوجد نسخة من التطبيق للأجهزة اللوحية؟",
            ],
            "en": ["Is there an English version of all pages?"],
        },
        "pos": {
            "ar": [
                "التطبيق سهل الاستخدام وتصميمه جميل",
                "الموقع الجديد واضح ومرتب، أحسنتم",
            ],
            "en": ["The new design is clean and easy to use"],
        },
    },
    "technical_login": {
        "neg": {
            "ar": [
                "ما أقدر أسجل دخول، رمز التحقق ما يوصل",
                "التطبيق يعلق بعد آخر تحديث ولا يفتح",
                "يطلعني خطأ عند الدخول عبر النفاذ الوطني",
                "الموقع لا يعمل منذ {n} أيام وتظهر رسالة خطأ",
                "كلما أحاول أرسل الطلب يطلع عطل فني",
                "التطبيق بطيء جداً ومرات يقفل لحاله",
            ],
            "en": [
                "Can't log in, the OTP never arrives",
                "The app crashes after the latest update",
                "Error 500 when I submit the form, not working since {n} days",
            ],
        },
        "neu": {
            "ar": ["كيف أعيد تعيين كلمة المرور في التطبيق؟"],
            "en": ["How do I reset my password?"],
        },
        "pos": {
            "ar": ["تم حل مشكلة تسجيل الدخول بعد التحديث، شكراً"],
            "en": ["Login works fine now after the update, thanks"],
        },
    },
    "staff_conduct": {
        "neg": {
            "ar": [
                "أسلوب أحد الموظفين في الجولة الميدانية لم يكن لائقاً",
                "تعامل الموظف كان فيه شدة بدون سبب",
                "نتمنى تدريب الأعضاء الميدانيين على حسن التعامل مع الناس",
            ],
            "en": ["The field officer was rude to my family"],
        },
        "neu": {
            "ar": ["ما هي آلية تقييم أداء الموظفين الميدانيين؟"],
            "en": ["How can I give feedback about a field visit?"],
        },
        "pos": {
            "ar": [
                "الأعضاء في الجولة الميدانية كانوا في قمة الاحترام والأدب",
                "تعامل الموظفين راقي جداً، الله يعطيكم العافية",
                "أشكر الموظف على أسلوبه الجميل وتعاونه",
            ],
            "en": ["The staff were respectful and professional"],
        },
    },
    "awareness": {
        "neg": {
            "ar": ["المحتوى التوعوي قليل ولا يتجدد", "الحملات التوعوية ما توصل للشباب"],
            "en": ["The awareness content is outdated"],
        },
        "neu": {
            "ar": [
                "متى موعد المحاضرة التوعوية القادمة في الجامع؟",
                "هل يمكن الحصول على نسخة من الكتيب التوعوي؟",
                "أرجو نشر جدول البرامج التوعوية لشهر رمضان",
            ],
            "en": ["Where can I find the awareness programme schedule?"],
        },
        "pos": {
            "ar": [
                "البرنامج التوعوي في المدارس كان مفيداً جداً",
                "المحاضرة التوعوية رائعة ومحتواها قيم، جزاكم الله خيراً",
            ],
            "en": ["The awareness campaign was very useful"],
        },
    },
    "reports_complaints": {
        "neg": {
            "ar": [
                "قدمت بلاغ رقم {n} ولم يتم حل المشكلة حتى الآن",
                "تم إغلاق البلاغ بدون أي تواصل معي",
                "رفعت شكوى قبل شهر وما وصلني أي رد",
                "متابعة البلاغ صعبة وما فيه تحديث على الحالة",
            ],
            "en": ["My complaint #{n} was closed without any follow up"],
        },
        "neu": {
            "ar": [
                "كيف أتابع حالة البلاغ رقم {n}؟",
                "أرغب في تقديم بلاغ عن ملاحظة في الحي",
            ],
            "en": ["How can I track report {n}?"],
        },
        "pos": {
            "ar": ["تمت معالجة البلاغ بسرعة، شكراً لكم"],
            "en": ["My report was handled quickly, thank you"],
        },
    },
    "response_speed": {
        "neg": {
            "ar": [
                "تأخر الرد على طلبي أكثر من {n} أيام",
                "أرسلت رسالة قبل أسبوع وما أحد رد علي",
                "بطء الاستجابة مزعج جداً، مو معقول كل هذا الانتظار",
                "لم يتم الرد على استفساري رغم مرور {n} يوم",
            ],
            "en": ["No reply after {n} days, very slow response"],
        },
        "neu": {
            "ar": ["كم المدة المتوقعة للرد على الطلبات؟"],
            "en": ["How long does a reply usually take?"],
        },
        "pos": {
            "ar": ["سرعة الرد ممتازة، وصلني الجواب خلال ساعة"],
            "en": ["Quick response, answered within the hour"],
        },
    },
    "new_services": {
        "neg": {
            "ar": ["ما فيه خدمة لحجز موعد، يا ليت تضيفونها"],
            "en": ["There is no way to book an appointment online"],
        },
        "neu": {
            "ar": [
                "أقترح إضافة خدمة المحادثة المباشرة في الموقع",
                "يا ليت تضيفون خدمة تتبع الطلبات في التطبيق",
                "نتمنى إضافة خدمة التنبيهات عبر الرسائل النصية",
                "اقتراح: إتاحة التقديم على البرامج التوعوية إلكترونياً",
                "لو تضيفون الوضع الليلي في التطبيق يكون أفضل",
            ],
            "en": [
                "Please add live chat to the website",
                "Suggestion: a dark mode for the app would be nice",
            ],
        },
        "pos": {
            "ar": ["فكرة الخدمة الجديدة ممتازة ونتمنى المزيد"],
            "en": ["Love the new e-service, please add more like it"],
        },
    },
    "employment_training": {
        "neg": {
            "ar": ["لا توجد أي إعلانات عن وظائف منذ مدة طويلة"],
            "en": ["No job openings have been announced for months"],
        },
        "neu": {
            "ar": [
                "متى يتم فتح باب التوظيف في الرئاسة؟",
                "هل يوجد برامج تدريب تعاوني لطلاب الجامعات؟",
                "أرغب في الاستفسار عن الدورات التدريبية المتاحة",
            ],
            "en": ["Are there internship or training programmes for graduates?"],
        },
        "pos": {
            "ar": ["الدورة التدريبية كانت مفيدة جداً، شكراً للقائمين عليها"],
            "en": ["The training course was excellent"],
        },
    },
    "privacy_data": {
        "neg": {
            "ar": [
                "لماذا يطلب التطبيق صلاحية الوصول للصور؟ هذا انتهاك للخصوصية",
                "أخشى على بياناتي الشخصية بعد التسجيل في الموقع",
            ],
            "en": ["Why does the app need access to my photos? Privacy concern"],
        },
        "neu": {
            "ar": ["كيف أطلب حذف بياناتي الشخصية من النظام؟"],
            "en": ["How can I request deletion of my personal data?"],
        },
        "pos": {
            "ar": ["سياسة الخصوصية واضحة ومطمئنة"],
            "en": ["Clear privacy policy, thanks"],
        },
    },
    "thanks_praise": {
        "neg": {"ar": ["شكراً بس الخدمة تحتاج تطوير كثير"], "en": ["Thanks, but it still needs work"]},
        "neu": {"ar": ["السلام عليكم ورحمة الله"], "en": ["Hello"]},
        "pos": {
            "ar": [
                "شكراً لكم على جهودكم",
                "الله يعطيكم العافية على هالجهود",
                "جزاكم الله خيراً وبارك في جهودكم",
                "ممتاز",
                "رائع جداً، أحسنتم",
                "خدمة ممتازة وتعامل راقي",
                "مبدعين كالعادة",
                "شكرا",
            ],
            "en": ["Thank you", "Great work", "Excellent service", "good"],
        },
    },
    "other": {
        "neg": {"ar": ["ما فهمت وش المطلوب"], "en": ["Not sure this is the right place"]},
        "neu": {
            "ar": ["استفسار عام", "أرغب في معرفة عنوان الفرع", "كيف أتواصل مع الإدارة؟"],
            "en": ["General enquiry", "What is your postal address?"],
        },
        "pos": {"ar": ["موفقين"], "en": ["All the best"]},
    },
}

GREETINGS_AR = ["", "", "", "السلام عليكم، ", "مساء الخير، ", "صباح الخير ", "لو سمحتم "]
CLOSINGS_AR = ["", "", "", " وشكراً", " 🙏", " 😡", " !!", " ولكم جزيل الشكر", " 👍"]
CLOSINGS_EN = ["", "", " thanks", " 🙏", " !!", " 👎"]

# Personal data phrases: {v} is the value. Kept here so tests can plant the same forms.
PII_PHRASES_AR = {
    "phone": ["رقم جوالي {v}", "تواصلوا معي على {v}", "جوالي: {v}"],
    "national_id": ["رقم الهوية {v}", "هويتي الوطنية {v}", "رقم الإقامة {v}"],
    "email": ["ايميلي {v}", "راسلوني على {v}"],
    "iban": ["رقم الآيبان {v}", "حولوا المبلغ على الحساب {v}"],
}

OFFENSIVE = ["يا غبي", "خدمة تافهة", "موظفين حقيرين", "stupid people", "idiots"]

CAMPAIGNS = [
    "نطالب بتمديد ساعات عمل مركز الاتصال 1909 خلال شهر رمضان",
    "نرجو إعادة فتح مكتب الخدمات في المحافظة، الناس تعبت من المراجعة البعيدة",
    "We demand the app supports English fully, please fix it",
    "نأمل إطلاق برنامج توعوي للشباب في الإجازة الصيفية",
]

ACTIONS = [
    (
        "call_center",
        "تمديد ساعات عمل مركز الاتصال 1909",
        "Extended hours for the 1909 call centre",
        "تمديد ساعات العمل في رمضان والإجازات بناءً على ملاحظات المستفيدين.",
        "Longer opening hours in Ramadan and holidays, following beneficiaries' comments.",
    ),
    (
        "call_center",
        "خدمة معاودة الاتصال",
        "Call-back service",
        "إتاحة طلب معاودة الاتصال بدلاً من الانتظار على الخط.",
        "Ask for a call back instead of waiting on hold.",
    ),
    (
        "usability",
        "إعادة تصميم صفحة الخدمات",
        "Redesigned services page",
        "تبسيط صفحة الخدمات الإلكترونية وتكبير الخط.",
        "A simpler e-services page with larger type.",
    ),
    (
        "usability",
        "تحسين البحث في الموقع",
        "Better site search",
        "محرك بحث يدعم العربية دون التشكيل والهمزات.",
        "Search that ignores Arabic diacritics and hamza forms.",
    ),
    (
        "technical_login",
        "إصلاح وصول رمز التحقق",
        "Fixed one-time password delivery",
        "معالجة تأخر رسائل رمز التحقق مع مزود الخدمة.",
        "One-time passwords now arrive without delay.",
    ),
    (
        "technical_login",
        "استقرار التطبيق بعد التحديث",
        "App stability after the update",
        "معالجة توقف التطبيق على بعض الأجهزة.",
        "Fixed crashes on some devices.",
    ),
    (
        "staff_conduct",
        "برنامج تدريب على التعامل مع الجمهور",
        "Public-facing conduct training",
        "تدريب الأعضاء الميدانيين على مهارات التواصل.",
        "Communication training for field staff.",
    ),
    (
        "awareness",
        "جدول البرامج التوعوية على الموقع",
        "Awareness programme calendar online",
        "نشر جدول المحاضرات والبرامج شهرياً.",
        "The schedule of lectures and programmes, published monthly.",
    ),
    (
        "reports_complaints",
        "تتبع حالة البلاغ",
        "Track your report",
        "خدمة لمتابعة حالة البلاغ برقم البلاغ.",
        "Follow a report's status by its number.",
    ),
    (
        "reports_complaints",
        "إشعار قبل إغلاق البلاغ",
        "Notice before a report is closed",
        "إبلاغ المستفيد قبل إغلاق البلاغ وسببه.",
        "Beneficiaries are told before and why a report is closed.",
    ),
    (
        "response_speed",
        "مؤشر زمن الرد",
        "Response-time target",
        "التزام بالرد خلال ثلاثة أيام عمل ومتابعته.",
        "A three-working-day reply target, tracked.",
    ),
    (
        "new_services",
        "المحادثة المباشرة",
        "Live chat",
        "إطلاق خدمة المحادثة المباشرة في الموقع.",
        "Live chat on the website.",
    ),
    (
        "new_services",
        "الوضع الليلي في التطبيق",
        "Dark mode in the app",
        "إضافة الوضع الليلي بناءً على الاقتراحات.",
        "Dark mode, as suggested.",
    ),
    (
        "employment_training",
        "بوابة التدريب التعاوني",
        "Cooperative training portal",
        "صفحة للتقديم على برامج التدريب التعاوني.",
        "A page to apply for cooperative training.",
    ),
    (
        "privacy_data",
        "تقليل صلاحيات التطبيق",
        "Fewer app permissions",
        "إزالة طلب الوصول للصور غير الضروري.",
        "The app no longer asks for photo access it does not need.",
    ),
    (
        "privacy_data",
        "طلب حذف البيانات",
        "Data deletion requests",
        "نموذج إلكتروني لطلب حذف البيانات الشخصية.",
        "An online form to ask for personal data to be deleted.",
    ),
]

UNITS = [
    "الإدارة العامة للتحول الرقمي",
    "مركز الاتصال الموحد",
    "الإدارة العامة للتوعية",
    "الإدارة العامة للموارد البشرية",
    "إدارة تجربة المستفيد",
    "إدارة الأمن السيبراني",
]

POLLS = [
    ("TF-2025-01", "tafaul", "poll", "ما مدى رضاك عن خدمات الموقع الإلكتروني؟", "scale"),
    ("TF-2025-02", "tafaul", "poll", "هل تفضل التواصل عبر التطبيق أم مركز الاتصال؟", "choice"),
    ("IS-2025-07", "istitlaa", "poll", "ما رأيك في مشروع لائحة البرامج التوعوية؟", "choice"),
    ("IS-2026-03", "istitlaa", "poll", "ما مدى وضوح إجراءات تقديم البلاغات؟", "scale"),
    ("WS-2026-01", "website", "questionnaire", "استبانة قياس رضا المستفيدين عن الخدمات", "scale"),
    ("WS-2026-02", "website", "questionnaire", "استبانة تقييم البرامج التوعوية الرمضانية", "scale"),
]
CHOICES = ["agree", "neutral", "disagree"]
