//! Realistic demo data: a deterministic base of customers (enterprises,
//! households, individuals; Latin, accented and CJK names), two years of
//! money, interactions, a pipeline, and care items, all relative to a given
//! "today" and drawn from a seeded generator — the same seed and day give the
//! same base, byte for byte in every field rapport shows.
//!
//! Amounts are integer cents throughout (the value distribution is a
//! Pareto-like law computed with integer division only), so the base does not
//! depend on floating-point details of the machine.

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveTime, Utc};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::domain::model::{
    Channel, CustomerKind, DealStatus, Direction, NewCase, NewContact, NewCustomer, NewDeal, NewInteraction,
    NewPromise, NewReminder, NewTransaction, Outcome, PromiseStatus, ReminderKind, Severity, TxKind,
};
use crate::domain::money::Money;
use crate::domain::text::{fold, phone_digits};
use crate::repo::batch::Batch;
use crate::repo::{Repo, RepoError};

pub mod scale;

/// The agents demo customers, deals and reminders belong to.
pub const AGENTS: &[&str] = &["alice", "bob", "chen", "dana"];

/// Open stages used by [`DemoOptions::new`] (the default pipeline).
pub const DEFAULT_STAGES: &[&str] = &["Lead", "Qualified", "Proposal", "Negotiation"];

/// Lost reasons used by [`DemoOptions::new`].
pub const DEFAULT_LOST_REASONS: &[&str] = &["Price", "Chose a competitor", "No budget", "No decision", "Timing"];

/// Names the tests (and the documentation) rely on: always generated.
pub const YAMADA: &str = "山田太郎";
pub const YAMADA_PHONE: &str = "+81 3-1234-5678";
pub const ZOE: &str = "Zoë Ångström";
pub const ZOE_PHONE: &str = "+1 (514) 721-4711";
pub const ZOE_EMAIL: &str = "zoe.angstrom@example.com";
/// A customer whose name tries to drive the terminal; the UI must
/// neutralise it.
pub const ESCAPE_NAME: &str = "\x1b]0;pwned\x07Bob Escape";

/// Days of history generated before `today`.
pub const HISTORY_DAYS: i64 = 730;

/// Customers written per transaction: big bases are written in a few
/// transactions so the write-ahead log stays bounded.
const CHUNK: usize = 5_000;

/// What to generate.
#[derive(Debug, Clone, PartialEq)]
pub struct DemoOptions {
    /// Number of customers, the special ones included.
    pub customers: usize,
    pub seed: u64,
    /// Everything is dated relative to this day (UTC).
    pub today: NaiveDate,
    /// Open stage names, in pipeline order.
    pub stages: Vec<String>,
    /// Reasons a lost deal is given.
    pub lost_reasons: Vec<String>,
}

impl DemoOptions {
    /// 300 customers, seed 42, the default pipeline and lost reasons.
    pub fn new(today: NaiveDate) -> DemoOptions {
        DemoOptions {
            customers: 300,
            seed: 42,
            today,
            stages: DEFAULT_STAGES.iter().map(|s| s.to_string()).collect(),
            lost_reasons: DEFAULT_LOST_REASONS.iter().map(|s| s.to_string()).collect(),
        }
    }
}

/// How many records of each kind were written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DemoSummary {
    pub customers: usize,
    pub contacts: usize,
    pub interactions: usize,
    pub transactions: usize,
    pub deals: usize,
    pub reminders: usize,
    pub promises: usize,
    pub cases: usize,
}

/// Fills an empty base with demo data and computes the pyramid once.
/// Refuses (`RepoError::Invalid`) a base that already has customers, and
/// options without any open stage.
pub fn generate(repo: &mut Repo, opts: &DemoOptions) -> Result<DemoSummary, RepoError> {
    if opts.stages.is_empty() || opts.stages.iter().any(|s| s.trim().is_empty()) {
        return Err(RepoError::Invalid("demo data needs at least one open pipeline stage, none of them blank".into()));
    }
    let existing = repo.customer_count()?;
    if existing > 0 {
        return Err(RepoError::Invalid(format!(
            "{} already holds {existing} customer(s); demo data is only generated into an empty database \
             (choose a new file with --db)",
            repo.path().display()
        )));
    }
    let mut g = Gen::new(opts);
    let mut start = 0;
    while start < opts.customers {
        let end = (start + CHUNK).min(opts.customers);
        repo.batch(|b| {
            for i in start..end {
                g.customer(b, i)?;
            }
            Ok(())
        })?;
        start = end;
    }

    // The pyramid as of a month ago and as of today, so tiers are real from
    // the first screen and the pyramid has a migration to show.
    // An empty base may have snapshots already (the app's day job runs on
    // open): they hold no one, and would keep the month-old one from being
    // taken (the history only grows at its end).
    let config = crate::config::Config::default();
    let month_ago = opts.today - chrono::Duration::days(30);
    repo.delete_snapshots_from(month_ago)?;
    crate::services::pyramid::recompute(repo, &config, month_ago)?;
    crate::services::pyramid::recompute(repo, &config, opts.today)?;
    Ok(g.sum)
}

// ---------------------------------------------------------------------------
// Reference data
// ---------------------------------------------------------------------------

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Lang {
    En,
    Fr,
    De,
    Es,
    Zh,
    Ja,
    Ko,
}

/// A city, its country and the phone formats used there: `N` is any digit,
/// `M` a digit from 2 to 9.
struct Place {
    city: &'static str,
    country: &'static str,
    phones: &'static [&'static str],
}

const MONTREAL: Place =
    Place { city: "Montréal", country: "Canada", phones: &["+1 (514) MNN-NNNN", "514.MNN.NNNN", "514-MNN-NNNN"] };
const TOKYO: Place =
    Place { city: "東京", country: "Japan", phones: &["03-NNNN-NNNN", "+81 3-NNNN-NNNN", "090-NNNN-NNNN"] };

/// Names are `native|romanised`; without `|`, the romanised form is the
/// folded native one.
struct Culture {
    lang: Lang,
    weight: u32,
    /// Family name first, no space (Chinese, Japanese, Korean).
    family_first: bool,
    given: &'static [&'static str],
    family: &'static [&'static str],
    places: &'static [Place],
    household: &'static str,
    /// `{family}` / `{word}` patterns, optionally `native|romanised`.
    companies: &'static [&'static str],
    words: &'static [&'static str],
}

const EN: Culture = Culture {
    lang: Lang::En,
    weight: 24,
    family_first: false,
    given: &[
        "James",
        "Olivia",
        "Michael",
        "Emma",
        "William",
        "Sophia",
        "Benjamin",
        "Charlotte",
        "Daniel",
        "Grace",
        "Liam",
        "Chloe",
        "Noah",
        "Ava",
        "Ethan",
        "Mia",
    ],
    family: &[
        "Smith",
        "Johnson",
        "Brown",
        "Taylor",
        "Wilson",
        "O'Brien",
        "Clarke",
        "Walker",
        "Wright",
        "Hughes",
        "MacDonald",
        "Nguyen",
        "Patel",
        "Thompson",
    ],
    places: &[
        Place { city: "Toronto", country: "Canada", phones: &["+1 (416) MNN-NNNN", "416.MNN.NNNN"] },
        Place { city: "Vancouver", country: "Canada", phones: &["+1 (604) MNN-NNNN", "604-MNN-NNNN"] },
        Place { city: "New York", country: "United States", phones: &["+1 (212) MNN-NNNN", "(212) MNN-NNNN"] },
        Place { city: "Chicago", country: "United States", phones: &["+1 312 MNN NNNN", "312.MNN.NNNN"] },
        Place { city: "London", country: "United Kingdom", phones: &["+44 20 7946 0NNN", "020 7946 0NNN"] },
        MONTREAL,
    ],
    household: "The {family} family",
    companies: &["{family} & Sons Ltd", "{word} Logistics Inc.", "{family} {word} Group", "{word} Systems Ltd"],
    words: &["Northwind", "Bluewater", "Maple Leaf", "Granite", "Harbour", "Summit", "Redwood", "Silverline"],
};

const FR: Culture = Culture {
    lang: Lang::Fr,
    weight: 14,
    family_first: false,
    given: &[
        "François",
        "Renée",
        "Hélène",
        "Jérôme",
        "Chloé",
        "Amélie",
        "Gaëlle",
        "Benoît",
        "Noël",
        "Élise",
        "Josée",
        "Loïc",
        "Mathéo",
        "Céline",
    ],
    family: &[
        "Lefèvre",
        "Dubois",
        "Moreau",
        "Laurent",
        "Girard",
        "Bérubé",
        "Tremblay",
        "Côté",
        "Gagné",
        "Lévesque",
        "Bouchard",
        "Pelletier",
        "Roy",
        "Fournier",
    ],
    places: &[
        Place { city: "Paris", country: "France", phones: &["+33 1 NN NN NN NN", "01 NN NN NN NN"] },
        Place { city: "Lyon", country: "France", phones: &["+33 4 NN NN NN NN", "06 NN NN NN NN"] },
        MONTREAL,
        Place { city: "Québec", country: "Canada", phones: &["+1 (418) MNN-NNNN", "418.MNN.NNNN"] },
    ],
    household: "Famille {family}",
    companies: &["{family} et Fils SARL", "{word} Distribution SA", "Boulangerie {family}", "Éditions {word}"],
    words: &["Étoile", "Horizon", "Lumière", "Côte d'Azur", "Château Vert", "Sève"],
};

const DE: Culture = Culture {
    lang: Lang::De,
    weight: 12,
    family_first: false,
    given: &[
        "Jürgen",
        "Günther",
        "Björn",
        "Käthe",
        "Lena",
        "Sören",
        "Jörg",
        "Anna",
        "Maximilian",
        "Uwe",
        "Ursula",
        "Lukas",
        "Sophie",
    ],
    family: &[
        "Müller",
        "Schröder",
        "Weiß",
        "Köhler",
        "Groß",
        "Schäfer",
        "Böhm",
        "Fuchs",
        "Krüger",
        "Hoffmann",
        "Wagner",
        "Becker",
        "Schmidt",
    ],
    places: &[
        Place { city: "Berlin", country: "Germany", phones: &["+49 30 NNNNNNN", "030 NNNNNNNN"] },
        Place { city: "München", country: "Germany", phones: &["+49 89 NNNNNNN", "+49 151 NNNNNNNN"] },
        Place { city: "Hamburg", country: "Germany", phones: &["+49 40 NNNNNNN"] },
        Place { city: "Wien", country: "Austria", phones: &["+43 1 NNNNNNN"] },
        Place { city: "Zürich", country: "Switzerland", phones: &["+41 44 NNN NN NN"] },
    ],
    household: "Familie {family}",
    companies: &["{family} Maschinenbau GmbH", "{word} Logistik AG", "{family} & Söhne KG", "Bäckerei {family}"],
    words: &["Nordlicht", "Alpen", "Rheintal", "Sonnenschein", "Eisenwerk", "Grünfeld"],
};

const ES: Culture = Culture {
    lang: Lang::Es,
    weight: 10,
    family_first: false,
    given: &[
        "José", "María", "Íñigo", "Sofía", "Andrés", "Lucía", "Martín", "Begoña", "Raúl", "Inés", "Álvaro", "Ramón",
        "Nuria", "Óscar",
    ],
    family: &[
        "García",
        "Núñez",
        "Muñoz",
        "Peña",
        "Ibáñez",
        "Gómez",
        "Fernández",
        "Rodríguez",
        "Martínez",
        "López",
        "Sánchez",
        "Castaño",
        "Ordóñez",
    ],
    places: &[
        Place { city: "Madrid", country: "Spain", phones: &["+34 91 NNN NN NN", "+34 6NN NNN NNN"] },
        Place { city: "Barcelona", country: "Spain", phones: &["+34 93 NNN NN NN"] },
        Place { city: "Sevilla", country: "Spain", phones: &["+34 95N NN NN NN"] },
        Place { city: "Ciudad de México", country: "Mexico", phones: &["+52 55 NNNN NNNN"] },
    ],
    household: "Familia {family}",
    companies: &["Construcciones {family} S.L.", "{word} Importaciones S.A.", "Hermanos {family}", "Talleres {word}"],
    words: &["Sol", "Peñón", "Ibérica", "Montaña", "Olivar", "Río Claro"],
};

/// Nordic and Polish names: the accented letters that do not decompose.
const NORDPL: Culture = Culture {
    lang: Lang::En,
    weight: 12,
    family_first: false,
    given: &[
        "Zoë",
        "Søren",
        "Åsa",
        "Łukasz",
        "Małgorzata",
        "Agnieszka",
        "Ørjan",
        "Bjørn",
        "Ingrid",
        "Kjell",
        "Wojciech",
        "Zofia",
        "Mikkel",
        "Linnéa",
    ],
    family: &[
        "Ångström",
        "Kierkegård",
        "Żółć",
        "Wójcik",
        "Nørgaard",
        "Lindqvist",
        "Kowalczyk",
        "Brzęczyszczykiewicz",
        "Sjöberg",
        "Ødegård",
        "Håkansson",
        "Dąbrowski",
        "Jørgensen",
    ],
    places: &[
        Place { city: "Stockholm", country: "Sweden", phones: &["+46 8 NNN NNN NN"] },
        Place { city: "København", country: "Denmark", phones: &["+45 NN NN NN NN"] },
        Place { city: "Oslo", country: "Norway", phones: &["+47 NN NN NN NN"] },
        Place { city: "Kraków", country: "Poland", phones: &["+48 12 NNN NN NN"] },
        Place { city: "Warszawa", country: "Poland", phones: &["+48 22 NNN NN NN", "+48 6NN NNN NNN"] },
    ],
    household: "The {family} household",
    companies: &["{family} AB", "{word} ApS", "{family} Sp. z o.o.", "{word} AS"],
    words: &["Fjord", "Nordstjärna", "Bałtyk", "Skog", "Ørsted", "Wisła"],
};

const ZH: Culture = Culture {
    lang: Lang::Zh,
    weight: 16,
    family_first: true,
    given: &[
        "伟|wei",
        "娜|na",
        "敏|min",
        "洋|yang",
        "静|jing",
        "磊|lei",
        "芳|fang",
        "强|qiang",
        "军|jun",
        "丽|li",
        "秀英|xiuying",
        "建华|jianhua",
        "子涵|zihan",
        "浩然|haoran",
    ],
    family: &[
        "王|wang",
        "李|li",
        "张|zhang",
        "刘|liu",
        "陈|chen",
        "杨|yang",
        "黄|huang",
        "赵|zhao",
        "吴|wu",
        "周|zhou",
        "徐|xu",
        "孙|sun",
        "欧阳|ouyang",
    ],
    places: &[
        Place { city: "北京", country: "China", phones: &["+86 10 NNNN NNNN", "+86 13N NNNN NNNN"] },
        Place { city: "上海", country: "China", phones: &["+86 21 NNNN NNNN", "+86 138 NNNN NNNN"] },
        Place { city: "深圳", country: "China", phones: &["+86 755 NNNN NNNN", "+86 15N NNNN NNNN"] },
    ],
    household: "{family}家",
    companies: &[
        "{word}科技有限公司|{word}tech",
        "{word}贸易有限公司|{word}trade",
        "{family}记餐饮集团|{family}ji",
        "{word}物流股份有限公司|{word}logistics",
    ],
    words: &["华东|huadong", "长城|changcheng", "东方|dongfang", "金桥|jinqiao", "瑞丰|ruifeng", "恒通|hengtong"],
};

const JA: Culture = Culture {
    lang: Lang::Ja,
    weight: 7,
    family_first: true,
    given: &[
        "花子|hanako",
        "健|ken",
        "翔太|shota",
        "陽菜|hina",
        "結衣|yui",
        "大輔|daisuke",
        "美咲|misaki",
        "蓮|ren",
        "さくら|sakura",
        "一郎|ichiro",
    ],
    family: &[
        "佐藤|sato",
        "鈴木|suzuki",
        "高橋|takahashi",
        "田中|tanaka",
        "伊藤|ito",
        "渡辺|watanabe",
        "山本|yamamoto",
        "中村|nakamura",
        "小林|kobayashi",
        "加藤|kato",
    ],
    places: &[TOKYO, Place { city: "大阪", country: "Japan", phones: &["06-NNNN-NNNN", "+81 6-NNNN-NNNN"] }],
    household: "{family}家",
    companies: &["{family}商事株式会社|{family}shoji", "株式会社{word}|{word}", "{word}工業株式会社|{word}kogyo"],
    words: &["東邦|toho", "日の出|hinode", "富士見|fujimi", "大和|yamato", "青葉|aoba"],
};

const KO: Culture = Culture {
    lang: Lang::Ko,
    weight: 5,
    family_first: true,
    given: &[
        "민준|minjun",
        "서연|seoyeon",
        "지훈|jihoon",
        "하은|haeun",
        "도윤|doyun",
        "수빈|subin",
        "예준|yejun",
        "지우|jiwoo",
    ],
    family: &["김|kim", "이|lee", "박|park", "최|choi", "정|jung", "강|kang", "조|cho", "윤|yoon"],
    places: &[
        Place { city: "서울", country: "South Korea", phones: &["+82 2-NNNN-NNNN", "010-NNNN-NNNN"] },
        Place { city: "부산", country: "South Korea", phones: &["+82 51-NNN-NNNN"] },
    ],
    household: "{family}씨 가족",
    companies: &["(주){word}테크|{word}tech", "{word}물산|{word}trading"],
    words: &["한빛|hanbit", "새론|saeron", "누리|nuri", "다온|daon", "푸른|pureun"],
};

const CULTURES: &[&Culture] = &[&EN, &FR, &DE, &ES, &NORDPL, &ZH, &JA, &KO];

const EMAIL_DOMAINS: &[&str] = &["example.com", "example.net", "example.org", "mail.example", "post.example"];
const ROLES: &[&str] = &["Purchasing", "CEO", "IT", "Finance", "Operations", "Marketing"];
const VIP_LEVELS: &[&str] = &["Silver", "Silver", "Silver", "Gold", "Gold", "Platinum"];
const COMPETITORS: &[&str] = &["Acme CRM", "Salesfolk", "河马软件"];
const WON_REASONS: &[&str] = &["Best value", "Existing relationship", "Better support", "Faster delivery"];

/// Text in one language. `{product}`, `{ref}` and `{n}` are filled in.
struct Texts {
    products: &'static [&'static str],
    summaries: &'static [(&'static str, Outcome)],
    deals: &'static [&'static str],
    next_steps: &'static [&'static str],
    reminders: &'static [&'static str],
    promises: &'static [&'static str],
    complaints: &'static [&'static str],
    note: &'static str,
}

const T_EN: Texts = Texts {
    products: &[
        "Pro plan",
        "maintenance contract",
        "X200 printer",
        "support package",
        "annual licence",
        "training day",
    ],
    summaries: &[
        ("Asked about invoice {ref}; explained the charges", Outcome::InfoGiven),
        ("Requested a quote for the {product}", Outcome::FollowUp),
        ("No answer; left a voicemail", Outcome::Voicemail),
        ("Did not pick up", Outcome::NoAnswer),
        ("Ordered the {product}", Outcome::Sale),
        ("Login problem fixed on the call", Outcome::Resolved),
        ("Wants a demo of the {product} next week", Outcome::FollowUp),
        ("Unhappy about a late delivery", Outcome::Complaint),
        ("Checked in after the {product} install; all good", Outcome::Resolved),
    ],
    deals: &["{product} for {n} users", "Renewal: {product}", "{product} upgrade", "{n} × {product}"],
    next_steps: &["Send proposal", "Demo on Tuesday", "Call the CFO", "Wait for budget approval"],
    reminders: &[
        "Call back about the {product}",
        "Send the updated quote",
        "Check they are happy with the {product}",
        "Chase unpaid invoice {ref}",
    ],
    promises: &[
        "Call back on Friday",
        "Replacement by the 3rd",
        "Send the signed contract tomorrow",
        "Refund processed within 5 days",
    ],
    complaints: &[
        "Late delivery of the {product}",
        "Invoice {ref} charged twice",
        "{product} arrived damaged",
        "Rude answer on the hotline",
    ],
    note: "Prefers email; only call after 2 pm",
};

const T_FR: Texts = Texts {
    products: &[
        "forfait Pro",
        "contrat de maintenance",
        "imprimante X200",
        "pack d'assistance",
        "licence annuelle",
        "journée de formation",
    ],
    summaries: &[
        ("Question sur la facture {ref} ; frais expliqués", Outcome::InfoGiven),
        ("Demande de devis : {product}", Outcome::FollowUp),
        ("Pas de réponse ; message laissé sur le répondeur", Outcome::Voicemail),
        ("Ne décroche pas", Outcome::NoAnswer),
        ("Commande : {product}", Outcome::Sale),
        ("Problème de connexion réglé pendant l'appel", Outcome::Resolved),
        ("Souhaite une démo ({product}) la semaine prochaine", Outcome::FollowUp),
        ("Mécontent d'une livraison en retard", Outcome::Complaint),
        ("Suivi après l'installation ({product}) : tout va bien", Outcome::Resolved),
    ],
    deals: &["{product} pour {n} utilisateurs", "Renouvellement : {product}", "Mise à niveau : {product}"],
    next_steps: &["Envoyer la proposition", "Démo mardi", "Appeler le DAF"],
    reminders: &[
        "Rappeler au sujet de : {product}",
        "Envoyer le devis mis à jour",
        "Vérifier la satisfaction : {product}",
        "Relancer la facture impayée {ref}",
    ],
    promises: &["Rappeler vendredi", "Remplacement avant le 3", "Envoyer le contrat signé demain"],
    complaints: &[
        "Livraison en retard : {product}",
        "Facture {ref} débitée deux fois",
        "Arrivé endommagé : {product}",
        "Accueil désagréable au téléphone",
    ],
    note: "Préfère le courriel ; parle français et anglais",
};

const T_DE: Texts = Texts {
    products: &["Pro-Tarif", "Wartungsvertrag", "Drucker X200", "Supportpaket", "Jahreslizenz", "Schulungstag"],
    summaries: &[
        ("Frage zur Rechnung {ref}; Gebühren erklärt", Outcome::InfoGiven),
        ("Angebot angefragt: {product}", Outcome::FollowUp),
        ("Keine Antwort; Nachricht auf der Mailbox", Outcome::Voicemail),
        ("Nicht erreicht", Outcome::NoAnswer),
        ("Bestellung: {product}", Outcome::Sale),
        ("Anmeldeproblem im Gespräch gelöst", Outcome::Resolved),
        ("Möchte nächste Woche eine Vorführung: {product}", Outcome::FollowUp),
        ("Verärgert über verspätete Lieferung", Outcome::Complaint),
        ("Nachgefragt nach der Installation ({product}): alles in Ordnung", Outcome::Resolved),
    ],
    deals: &["{product} für {n} Nutzer", "Verlängerung: {product}", "Upgrade: {product}"],
    next_steps: &["Angebot senden", "Vorführung am Dienstag", "Finanzchef anrufen"],
    reminders: &[
        "Zurückrufen wegen: {product}",
        "Aktualisiertes Angebot senden",
        "Zufriedenheit prüfen: {product}",
        "Offene Rechnung {ref} nachfassen",
    ],
    promises: &["Freitag zurückrufen", "Ersatz bis zum 3.", "Unterschriebenen Vertrag morgen senden"],
    complaints: &[
        "Verspätete Lieferung: {product}",
        "Rechnung {ref} doppelt abgebucht",
        "Beschädigt angekommen: {product}",
        "Unfreundliche Auskunft an der Hotline",
    ],
    note: "Bevorzugt E-Mail; bitte siezen",
};

const T_ES: Texts = Texts {
    products: &[
        "plan Pro",
        "contrato de mantenimiento",
        "impresora X200",
        "paquete de soporte",
        "licencia anual",
        "jornada de formación",
    ],
    summaries: &[
        ("Consulta sobre la factura {ref}; se explicaron los cargos", Outcome::InfoGiven),
        ("Pidió presupuesto: {product}", Outcome::FollowUp),
        ("Sin respuesta; mensaje en el buzón de voz", Outcome::Voicemail),
        ("No contesta", Outcome::NoAnswer),
        ("Pedido: {product}", Outcome::Sale),
        ("Problema de acceso resuelto en la llamada", Outcome::Resolved),
        ("Quiere una demostración la semana que viene: {product}", Outcome::FollowUp),
        ("Molesto por una entrega con retraso", Outcome::Complaint),
        ("Seguimiento tras la instalación ({product}): todo bien", Outcome::Resolved),
    ],
    deals: &["{product} para {n} usuarios", "Renovación: {product}", "Ampliación: {product}"],
    next_steps: &["Enviar la propuesta", "Demo el martes", "Llamar al director financiero"],
    reminders: &[
        "Devolver la llamada: {product}",
        "Enviar el presupuesto actualizado",
        "Comprobar la satisfacción: {product}",
        "Reclamar la factura pendiente {ref}",
    ],
    promises: &["Llamar el viernes", "Reposición antes del día 3", "Enviar el contrato firmado mañana"],
    complaints: &[
        "Entrega tardía: {product}",
        "Factura {ref} cobrada dos veces",
        "Llegó dañado: {product}",
        "Trato descortés en la línea de atención",
    ],
    note: "Prefiere correo electrónico; llamar por la tarde",
};

const T_ZH: Texts = Texts {
    products: &["专业版套餐", "维保合同", "X200打印机", "技术支持包", "年度许可", "培训日"],
    summaries: &[
        ("咨询发票 {ref}，已解释费用", Outcome::InfoGiven),
        ("询问{product}报价", Outcome::FollowUp),
        ("无人接听，已语音留言", Outcome::Voicemail),
        ("未接通", Outcome::NoAnswer),
        ("订购{product}", Outcome::Sale),
        ("通话中解决了登录问题", Outcome::Resolved),
        ("希望下周演示{product}", Outcome::FollowUp),
        ("对送货延迟不满", Outcome::Complaint),
        ("{product}安装后回访，一切正常", Outcome::Resolved),
    ],
    deals: &["{product}（{n}用户）", "续约：{product}", "{product}升级"],
    next_steps: &["发送方案", "周二演示", "联系财务总监"],
    reminders: &["回电讨论{product}", "发送更新后的报价", "回访{product}使用情况", "催收未付发票 {ref}"],
    promises: &["周五回电", "3号前更换", "明天寄出签好的合同", "5天内完成退款"],
    complaints: &["{product}延迟交付", "发票 {ref} 重复扣款", "{product}到货破损", "客服热线态度差"],
    note: "请用中文沟通；下午方便接电话",
};

const T_JA: Texts = Texts {
    products: &["プロプラン", "保守契約", "X200プリンター", "サポートパック", "年間ライセンス", "研修日"],
    summaries: &[
        ("請求書 {ref} について問い合わせ、料金を説明", Outcome::InfoGiven),
        ("{product}の見積もり依頼", Outcome::FollowUp),
        ("不在のため留守番電話にメッセージ", Outcome::Voicemail),
        ("応答なし", Outcome::NoAnswer),
        ("{product}を注文", Outcome::Sale),
        ("通話中にログインの問題を解決", Outcome::Resolved),
        ("来週{product}のデモを希望", Outcome::FollowUp),
        ("配送の遅れに不満", Outcome::Complaint),
        ("{product}導入後のフォロー、問題なし", Outcome::Resolved),
    ],
    deals: &["{product}（{n}ユーザー）", "更新：{product}", "{product}アップグレード"],
    next_steps: &["提案書を送付", "火曜日にデモ", "財務部長に電話"],
    reminders: &[
        "{product}の件で折り返し電話",
        "最新の見積もりを送付",
        "{product}の満足度を確認",
        "未払い請求書 {ref} の督促",
    ],
    promises: &["金曜日に折り返し電話", "3日までに交換品を発送", "明日署名済み契約書を送付"],
    complaints: &[
        "{product}の納品遅延",
        "請求書 {ref} の二重請求",
        "{product}が破損して到着",
        "サポート窓口の対応が不親切",
    ],
    note: "メール連絡希望",
};

const T_KO: Texts = Texts {
    products: &["프로 요금제", "유지보수 계약", "X200 프린터", "지원 패키지", "연간 라이선스", "교육일"],
    summaries: &[
        ("청구서 {ref} 문의, 요금 설명함", Outcome::InfoGiven),
        ("{product} 견적 요청", Outcome::FollowUp),
        ("부재중, 음성 메시지 남김", Outcome::Voicemail),
        ("받지 않음", Outcome::NoAnswer),
        ("{product} 주문", Outcome::Sale),
        ("통화 중 로그인 문제 해결", Outcome::Resolved),
        ("다음 주 {product} 시연 희망", Outcome::FollowUp),
        ("배송 지연에 불만", Outcome::Complaint),
        ("{product} 설치 후 확인 전화, 문제 없음", Outcome::Resolved),
    ],
    deals: &["{product} ({n}명)", "갱신: {product}", "{product} 업그레이드"],
    next_steps: &["제안서 발송", "화요일 시연", "재무 이사에게 전화"],
    reminders: &["{product} 관련 회신 전화", "수정된 견적서 발송", "{product} 만족도 확인", "미지급 청구서 {ref} 독촉"],
    promises: &["금요일에 다시 전화", "3일까지 교체품 발송", "내일 서명된 계약서 발송"],
    complaints: &["{product} 배송 지연", "청구서 {ref} 이중 청구", "{product} 파손 도착", "상담원 응대 불친절"],
    note: "이메일 선호",
};

fn texts(lang: Lang) -> &'static Texts {
    match lang {
        Lang::En => &T_EN,
        Lang::Fr => &T_FR,
        Lang::De => &T_DE,
        Lang::Es => &T_ES,
        Lang::Zh => &T_ZH,
        Lang::Ja => &T_JA,
        Lang::Ko => &T_KO,
    }
}

/// `native|romanised` → (native, ASCII romanised); without `|`, the
/// romanised form is the folded native one, letters and digits only.
fn split_name(s: &'static str) -> (&'static str, String) {
    match s.split_once('|') {
        Some((native, roman)) => (native, roman.to_string()),
        None => (s, ascii_slug(s)),
    }
}

fn ascii_slug(s: &str) -> String {
    fold(s).chars().filter(char::is_ascii_alphanumeric).collect()
}

/// "francois lefevre" → "Francois Lefevre".
fn title_case(s: &str) -> String {
    s.split(' ')
        .map(|w| {
            let mut cs = w.chars();
            match cs.next() {
                Some(c) => c.to_uppercase().chain(cs).collect::<String>(),
                None => String::new(),
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

// ---------------------------------------------------------------------------
// The generator
// ---------------------------------------------------------------------------

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Special {
    Yamada,
    Zoe,
    Escape,
}

/// The customer's story with the money.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Profile {
    /// No purchase yet.
    Prospect,
    /// Refunds, costs and bad debt outweigh what they buy.
    Negative,
    Steady,
    /// First purchase within the last three months.
    New,
    /// Stopped buying long ago.
    Churned,
    /// Buying more and more lately.
    Rising,
    /// A second record of an earlier customer (same phone and email).
    Duplicate,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum DealEnd {
    Open(usize),
    Won,
    Lost,
}

/// What the planners need to know of the customer being generated.
#[derive(Clone, Copy)]
struct Who {
    kind: CustomerKind,
    profile: Profile,
    special: Option<Special>,
    lang: Lang,
    owner: &'static str,
    /// Yearly value, cents.
    value: i64,
    /// The relationship's first and last active days, in days ago.
    start_ago: i64,
    end_ago: i64,
}

struct PlannedDeal {
    title: String,
    amount: Money,
    end: DealEnd,
    /// Days ago of creation, then of each move (strictly decreasing).
    moves_ago: Vec<i64>,
    expected_close: NaiveDate,
    competitors: Option<String>,
    probability_pct: Option<u8>,
    owner: String,
    next_step: Option<String>,
}

struct PlannedTx {
    at: DateTime<Utc>,
    kind: TxKind,
    amount: i64,
    reference: Option<String>,
}

/// What an interaction is tied to, so its id can be used afterwards.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Tag {
    None,
    Promise,
}

struct PlannedInteraction {
    at: DateTime<Utc>,
    channel: Channel,
    direction: Direction,
    summary: String,
    outcome: Outcome,
    agent: &'static str,
    tag: Tag,
}

struct Gen<'a> {
    opts: &'a DemoOptions,
    rng: ChaCha8Rng,
    /// A second stream for the care history (settled promises, handled
    /// complaints), so adding it left the rest of the demo data unchanged.
    history_rng: ChaCha8Rng,
    sum: DemoSummary,
    invoice_seq: u64,
    /// Deals of regular customers so far: the first ones cover every stage.
    deal_seq: usize,
    birthday_today_done: bool,
    birthday_week_done: bool,
    /// The previous ordinary individual: (name, phone, email), for duplicates.
    prev: Option<(String, Option<String>, Option<String>)>,
}

impl<'a> Gen<'a> {
    fn new(opts: &'a DemoOptions) -> Gen<'a> {
        Gen {
            opts,
            rng: ChaCha8Rng::seed_from_u64(opts.seed),
            history_rng: ChaCha8Rng::seed_from_u64(opts.seed ^ 0x5EED_CA5E),
            sum: DemoSummary::default(),
            invoice_seq: 0,
            deal_seq: 0,
            birthday_today_done: false,
            birthday_week_done: false,
            prev: None,
        }
    }

    // --- random helpers -------------------------------------------------

    fn pick<T: Copy>(&mut self, xs: &[T]) -> T {
        xs[self.rng.random_range(0..xs.len())]
    }

    /// True with `pct` percent probability.
    fn chance(&mut self, pct: u32) -> bool {
        self.rng.random_range(0..100) < pct
    }

    fn range(&mut self, lo: i64, hi: i64) -> i64 {
        if hi <= lo { lo } else { self.rng.random_range(lo..=hi) }
    }

    /// A moment `days_ago` days before today, in office hours (the morning
    /// when it is today).
    fn moment(&mut self, days_ago: i64) -> DateTime<Utc> {
        let hour = if days_ago > 0 { self.range(8, 18) } else { self.range(8, 11) };
        let minute = self.range(0, 59);
        self.at(days_ago, hour as u32, minute as u32)
    }

    fn at(&self, days_ago: i64, hour: u32, minute: u32) -> DateTime<Utc> {
        let day = self.opts.today - Duration::days(days_ago);
        day.and_time(NaiveTime::from_hms_opt(hour, minute, 0).unwrap_or_default()).and_utc()
    }

    fn culture(&mut self) -> &'static Culture {
        let total: u32 = CULTURES.iter().map(|c| c.weight).sum();
        let mut r = self.rng.random_range(0..total);
        for c in CULTURES {
            if r < c.weight {
                return c;
            }
            r -= c.weight;
        }
        &EN
    }

    /// A phone number in one of the place's formats, never one of the
    /// reserved numbers of the special customers.
    fn phone(&mut self, place: &Place) -> String {
        loop {
            let pattern = self.pick(place.phones);
            let s: String = pattern
                .chars()
                .map(|c| match c {
                    'N' => char::from(b'0' + self.rng.random_range(0..10u8)),
                    'M' => char::from(b'0' + self.rng.random_range(2..10u8)),
                    c => c,
                })
                .collect();
            let d = phone_digits(&s);
            if !d.ends_with("7214711") && !d.ends_with("312345678") {
                return s;
            }
        }
    }

    fn text(&mut self, template: &str, lang: Lang) -> String {
        let t = texts(lang);
        let product = self.pick(t.products);
        let n = self.pick(&[5, 10, 12, 20, 25, 50, 100, 250]);
        let year = (self.opts.today.year() - self.range(0, 1) as i32).to_string();
        let reference = format!("INV-{year}-{:05}", self.range(1, 99_999));
        template.replace("{product}", product).replace("{n}", &n.to_string()).replace("{ref}", &reference)
    }

    /// Interaction text: mostly in the customer's language, some in English.
    fn summary_lang(&mut self, lang: Lang) -> Lang {
        if lang != Lang::En && self.chance(25) { Lang::En } else { lang }
    }

    fn person(&mut self, culture: &'static Culture) -> (String, String, String) {
        let (given, given_r) = split_name(self.pick(culture.given));
        let (family, family_r) = split_name(self.pick(culture.family));
        let name = if culture.family_first { format!("{family}{given}") } else { format!("{given} {family}") };
        (name, given_r, family_r)
    }

    /// A company name of the culture and its ASCII slug (for e-mail domains).
    fn company(&mut self, culture: &'static Culture) -> (String, String) {
        let pattern = self.pick(culture.companies);
        let (family, family_r) = split_name(self.pick(culture.family));
        let (word, word_r) = split_name(self.pick(culture.words));
        let (native, roman) = match pattern.split_once('|') {
            Some((n, r)) => (n, Some(r)),
            None => (pattern, None),
        };
        let name = native.replace("{family}", family).replace("{word}", word);
        let slug = match roman {
            Some(r) => r.replace("{family}", &family_r).replace("{word}", &word_r),
            None => ascii_slug(&name),
        };
        (name, slug)
    }

    fn birthday(&mut self) -> Option<NaiveDate> {
        let today = self.opts.today;
        let year = self.range(1950, 2001) as i32;
        let on = |d: NaiveDate| {
            NaiveDate::from_ymd_opt(year, d.month(), d.day())
                .or_else(|| NaiveDate::from_ymd_opt(1988, d.month(), d.day()))
        };
        if !self.birthday_today_done {
            self.birthday_today_done = true;
            return on(today);
        }
        if !self.birthday_week_done {
            self.birthday_week_done = true;
            return on(today + Duration::days(3));
        }
        let r = self.range(0, 99);
        if r < 40 {
            None
        } else if r < 41 {
            on(today)
        } else if r < 45 {
            let d = self.range(1, 7);
            on(today + Duration::days(d))
        } else {
            let d = self.range(0, 364);
            on(today + Duration::days(d))
        }
    }

    // --- one customer ---------------------------------------------------

    fn customer(&mut self, b: &Batch, i: usize) -> Result<(), RepoError> {
        let special = match i {
            0 => Some(Special::Yamada),
            1 => Some(Special::Zoe),
            2 => Some(Special::Escape),
            _ => None,
        };
        let culture: &'static Culture = match special {
            Some(Special::Yamada) => &JA,
            Some(Special::Zoe) => &NORDPL,
            Some(Special::Escape) => &EN,
            None => self.culture(),
        };
        let duplicate = special.is_none() && i % 60 == 31 && self.prev.is_some();
        let kind = if special.is_some() || duplicate {
            CustomerKind::Individual
        } else {
            match self.range(0, 99) {
                0..20 => CustomerKind::Enterprise,
                20..45 => CustomerKind::Household,
                _ => CustomerKind::Individual,
            }
        };
        let profile = if duplicate {
            Profile::Duplicate
        } else if special.is_some() {
            Profile::Steady
        } else if i % 25 == 13 {
            Profile::Negative
        } else if i % 20 == 7 {
            Profile::Prospect
        } else {
            match self.range(0, 99) {
                0..10 => Profile::New,
                10..22 => Profile::Churned,
                22..30 => Profile::Rising,
                _ => Profile::Steady,
            }
        };
        let lang = culture.lang;
        let place: &Place = match special {
            Some(Special::Yamada) => &TOKYO,
            Some(Special::Zoe) => &MONTREAL,
            _ => {
                let k = self.range(0, culture.places.len() as i64 - 1) as usize;
                &culture.places[k]
            }
        };
        // Chen takes many of the Chinese, Japanese and Korean customers.
        let owner: &'static str =
            if matches!(lang, Lang::Zh | Lang::Ja | Lang::Ko) && self.chance(50) { "chen" } else { self.pick(AGENTS) };

        // Yearly value (cents), Pareto-like with tail index 1: few customers
        // bring most of the revenue.
        let base: i64 = match kind {
            CustomerKind::Enterprise => 150_000,
            CustomerKind::Household => 20_000,
            CustomerKind::Individual => 12_000,
        };
        let u = self.range(1, 100_000);
        let value = (base * 100_000 / u).min(base * 300);

        // --- identity
        let mut c = NewCustomer::named(kind, "x");
        c.external_id = Some(format!("demo-{:06}", i + 1));
        c.city = Some(place.city.to_string());
        c.country = Some(place.country.to_string());
        c.owner = Some(owner.to_string());
        let mut company_slug = String::new();
        let mut household_family = "";
        match (special, kind) {
            (Some(Special::Yamada), _) => {
                c.name = YAMADA.into();
                c.phone = Some(YAMADA_PHONE.into());
                c.email = Some("taro.yamada@example.com".into());
            }
            (Some(Special::Zoe), _) => {
                c.name = ZOE.into();
                c.phone = Some(ZOE_PHONE.into());
                c.email = Some(ZOE_EMAIL.into());
            }
            (Some(Special::Escape), _) => {
                c.name = ESCAPE_NAME.into();
                c.phone = Some(self.phone(place));
                c.email = Some("bob.escape@example.com".into());
                c.note = Some("Name stored with a terminal escape sequence on purpose (demo).".into());
            }
            (None, CustomerKind::Enterprise) => {
                let (name, slug) = self.company(culture);
                c.name = name;
                company_slug = slug;
                c.phone = Some(self.phone(place));
                if self.chance(85) {
                    let local = self.pick(&["info", "contact", "sales", "office"]);
                    c.email = Some(format!("{local}@{company_slug}.example"));
                }
                if self.chance(70) {
                    c.credit_limit = Some(Money((value * self.range(20, 60) / 100 / 100_000).max(1) * 100_000));
                }
            }
            (None, CustomerKind::Household) => {
                let (family, family_r) = split_name(self.pick(culture.family));
                c.name = culture.household.replace("{family}", family);
                household_family = family;
                if self.chance(90) {
                    c.phone = Some(self.phone(place));
                }
                if self.chance(75) {
                    let domain = self.pick(EMAIL_DOMAINS);
                    c.email = Some(format!("{family_r}.family{}@{domain}", self.range(1, 99)));
                }
                company_slug = family_r;
            }
            (None, CustomerKind::Individual) if duplicate => {
                let (name, phone, email) = self.prev.clone().unwrap_or_default();
                // Typed again without accents: a likely duplicate to merge.
                c.name = title_case(&fold(&name));
                c.phone = phone;
                c.email = email;
                c.note = Some("Created from an inbound call; may be a duplicate".into());
            }
            (None, CustomerKind::Individual) => {
                let (name, given_r, family_r) = self.person(culture);
                c.name = name;
                if self.chance(92) {
                    c.phone = Some(self.phone(place));
                }
                if self.chance(85) {
                    let domain = self.pick(EMAIL_DOMAINS);
                    c.email = Some(match self.range(0, 2) {
                        0 => format!("{given_r}.{family_r}@{domain}"),
                        1 => format!("{}{family_r}{}@{domain}", &given_r[..1.min(given_r.len())], self.range(1, 99)),
                        _ => format!("{family_r}.{given_r}@{domain}"),
                    });
                }
                if self.chance(8) {
                    // Their employer.
                    c.company = Some(self.company(culture).0);
                }
                self.prev = Some((c.name.clone(), c.phone.clone(), c.email.clone()));
            }
        }
        if profile != Profile::Prospect && profile != Profile::Duplicate {
            let vip_pct = if value > base * 5 { 40 } else { 12 };
            if self.chance(vip_pct) {
                c.vip_level = Some(self.pick(VIP_LEVELS).to_string());
            }
        }
        if special.is_none() && !duplicate && c.note.is_none() {
            let r = self.range(0, 99);
            if r < 2 {
                c.note = Some(format!(
                    "{}\n\nHistory:\n- Met at the 2023 trade fair.\n- Asked for quarterly reviews.\n- Billing contact \
                     changes often; check before sending invoices.",
                    texts(lang).note
                ));
            } else if r < 20 {
                c.note = Some(texts(lang).note.to_string());
            }
        }
        let id = b.customer(&c)?;
        self.sum.customers += 1;

        // --- contacts
        match kind {
            CustomerKind::Enterprise => {
                let n = self.range(2, 5) as usize;
                let mut roles: Vec<&str> = ROLES.to_vec();
                for k in 0..n {
                    let j = self.range(k as i64, roles.len() as i64 - 1) as usize;
                    roles.swap(k, j);
                    let other = if self.chance(20) { self.culture() } else { culture };
                    let (name, given_r, family_r) = self.person(other);
                    let phone = if self.chance(90) { Some(self.phone(place)) } else { None };
                    let email = if self.chance(90) {
                        Some(format!("{given_r}.{family_r}@{company_slug}.example"))
                    } else {
                        None
                    };
                    let birthday = self.birthday();
                    b.contact(&NewContact {
                        customer_id: id,
                        name,
                        role: Some(roles[k].to_string()),
                        email,
                        phone,
                        birthday,
                    })?;
                    self.sum.contacts += 1;
                }
            }
            CustomerKind::Household => {
                let n = self.range(1, 2);
                for k in 0..n {
                    let (given, given_r) = split_name(self.pick(culture.given));
                    let family = household_family;
                    let name =
                        if culture.family_first { format!("{family}{given}") } else { format!("{given} {family}") };
                    let phone = if self.chance(60) { Some(self.phone(place)) } else { None };
                    let email = if self.chance(50) {
                        let domain = self.pick(EMAIL_DOMAINS);
                        Some(format!("{given_r}.{company_slug}@{domain}"))
                    } else {
                        None
                    };
                    let birthday = if self.chance(60) { self.birthday() } else { None };
                    b.contact(&NewContact {
                        customer_id: id,
                        name,
                        role: Some(if k == 0 { "Primary" } else { "Partner" }.to_string()),
                        email,
                        phone,
                        birthday,
                    })?;
                    self.sum.contacts += 1;
                }
            }
            CustomerKind::Individual => {}
        }

        // --- the customer's time line (days ago)
        let (start_ago, end_ago) = match profile {
            Profile::Prospect | Profile::Duplicate => (self.range(3, 120), 0),
            Profile::Negative => (self.range(60, 330), 1),
            Profile::New => (self.range(5, 85), 0),
            Profile::Churned => {
                let s = self.range(420, HISTORY_DAYS);
                (s, self.range(250, s - 120))
            }
            Profile::Rising => (self.range(200, HISTORY_DAYS), 0),
            Profile::Steady => {
                if self.chance(60) {
                    (HISTORY_DAYS, 0)
                } else {
                    (self.range(120, HISTORY_DAYS), 0)
                }
            }
        };

        // --- deals (planned first: won deals are sales too)
        let who = Who { kind, profile, special, lang, owner, value, start_ago, end_ago };
        let deals = self.plan_deals(&who);

        // --- money
        let txs = self.plan_money(&who, &deals);
        for t in &txs {
            b.transaction(&NewTransaction {
                customer_id: id,
                external_id: None,
                kind: t.kind,
                amount: Money(t.amount),
                occurred_at: t.at,
                reference: t.reference.clone(),
            })?;
            self.sum.transactions += 1;
        }

        // --- care plans (their interactions are logged with the others)
        let mut interactions = self.plan_interactions(&who, &txs);
        let promise = if special == Some(Special::Zoe) || (profile != Profile::Duplicate && self.chance(10)) {
            let r = self.range(0, 99);
            let due = if special == Some(Special::Zoe) || r < 30 {
                let h = self.range(10, 17) as u32;
                self.at(0, h, 0)
            } else if r < 60 {
                let d = self.range(1, 7);
                self.moment(d)
            } else {
                let d = self.range(1, 14);
                self.at(-d, 12, 0)
            };
            let made_ago = ((self.opts.today - due.date_naive()).num_days()).max(0) + self.range(1, 5);
            let pl = self.summary_lang(lang);
            let template = self.pick(texts(pl).promises);
            let text = self.text(template, pl);
            let at = self.moment(made_ago);
            let (template, _) = self.pick(texts(pl).summaries);
            let said = self.text(template, pl);
            interactions.push(PlannedInteraction {
                at,
                channel: Channel::Call,
                direction: Direction::Inbound,
                summary: format!("{said} → {text}"),
                outcome: Outcome::FollowUp,
                agent: owner,
                tag: Tag::Promise,
            });
            Some((text, due))
        } else {
            None
        };
        let case = if profile != Profile::Prospect && profile != Profile::Duplicate && self.chance(5) {
            let opened_ago = self.range(1, 30);
            let opened = self.moment(opened_ago);
            let severity = match self.range(0, 99) {
                0..30 => Severity::Low,
                30..70 => Severity::Medium,
                70..90 => Severity::High,
                _ => Severity::Critical,
            };
            let hours = match severity {
                Severity::Critical => 24,
                Severity::High => 72,
                Severity::Medium => 7 * 24,
                Severity::Low => 14 * 24,
            };
            let pl = self.summary_lang(lang);
            let template = self.pick(texts(pl).complaints);
            let title = self.text(template, pl);
            let channel = self.pick(&[Channel::Call, Channel::Email, Channel::Chat]);
            interactions.push(PlannedInteraction {
                at: opened,
                channel,
                direction: Direction::Inbound,
                summary: title.clone(),
                outcome: Outcome::Complaint,
                agent: owner,
                tag: Tag::None,
            });
            Some(NewCase {
                customer_id: id,
                title,
                description: Some(format!("Logged by {owner} from the customer's {channel}.")),
                severity,
                opened_at: opened,
                deadline_at: opened + Duration::hours(hours),
            })
        } else {
            None
        };

        // Interactions before deals, so a stale deal stays stale.
        interactions.sort_by_key(|x| x.at);
        let mut promise_interaction = None;
        for x in &interactions {
            let iid = b.interaction_by(
                x.agent,
                &NewInteraction {
                    customer_id: id,
                    channel: x.channel,
                    direction: x.direction,
                    summary: x.summary.clone(),
                    outcome: x.outcome,
                    occurred_at: x.at,
                    duration_secs: match x.channel {
                        Channel::Call => Some(self.range(20, 1_800)),
                        Channel::Visit => Some(self.range(1_800, 7_200)),
                        _ => None,
                    },
                },
            )?;
            self.sum.interactions += 1;
            if x.tag == Tag::Promise {
                promise_interaction = Some(iid);
            }
        }

        for d in &deals {
            self.insert_deal(b, id, d)?;
        }

        self.reminders(b, id, &who)?;

        if let Some((text, due_at)) = promise {
            b.promise_by(owner, &NewPromise { customer_id: id, interaction_id: promise_interaction, text, due_at })?;
            self.sum.promises += 1;
        }
        let open_case = match case {
            Some(k) => {
                self.sum.cases += 1;
                Some((b.case_by(owner, &k)?, k.opened_at))
            }
            None => None,
        };
        if profile != Profile::Prospect && profile != Profile::Duplicate {
            std::mem::swap(&mut self.rng, &mut self.history_rng);
            let done = self.care_history(b, id, owner, lang, open_case);
            std::mem::swap(&mut self.rng, &mut self.history_rng);
            done?;
        }
        Ok(())
    }

    /// Past care for a customer: promises made and settled (mostly kept,
    /// some late, some broken) and complaints handled through the 4A steps
    /// and closed; an open complaint may be acknowledged already. Everything
    /// lies in the past, by the customer's owner.
    fn care_history(
        &mut self,
        b: &Batch,
        id: i64,
        owner: &str,
        lang: Lang,
        open_case: Option<(i64, DateTime<Utc>)>,
    ) -> Result<(), RepoError> {
        let now = self.at(0, 8, 0);
        let promises = if self.chance(25) { self.range(1, 3) } else { 0 };
        for _ in 0..promises {
            let ago = self.range(6, 90);
            let made = self.moment(ago);
            let due = made + Duration::hours(self.range(20, 7 * 24));
            let pl = self.summary_lang(lang);
            let template = self.pick(texts(pl).promises);
            let text = self.text(template, pl);
            let pid = b.promise_by(owner, &NewPromise { customer_id: id, interaction_id: None, text, due_at: due })?;
            let (status, at) = match self.range(0, 99) {
                0..72 => (PromiseStatus::Kept, due - Duration::minutes(self.range(10, 48 * 60))),
                72..88 => (PromiseStatus::Late, due + Duration::minutes(self.range(30, 72 * 60))),
                _ => (PromiseStatus::Broken, due + Duration::hours(self.range(24, 96))),
            };
            b.settle_promise(pid, status, at.clamp(made, now))?;
            self.sum.promises += 1;
        }
        if self.chance(6) {
            let ago = self.range(8, 120);
            let opened = self.moment(ago);
            let severity = self.pick(&[Severity::Low, Severity::Medium, Severity::Medium, Severity::High]);
            let pl = self.summary_lang(lang);
            let template = self.pick(texts(pl).complaints);
            let title = self.text(template, pl);
            let cid = b.case_by(
                owner,
                &NewCase {
                    customer_id: id,
                    title,
                    description: None,
                    severity,
                    opened_at: opened,
                    deadline_at: opened + Duration::days(5),
                },
            )?;
            let ack = opened + Duration::minutes(self.range(20, 30 * 60));
            let apologized = ack + Duration::minutes(self.range(0, 120));
            let amended = apologized + Duration::hours(self.range(2, 96));
            let anticipated = amended + Duration::hours(self.range(0, 24));
            let closed = anticipated + Duration::hours(self.range(1, 48));
            let note = "Checked the cause with the team; a check step was added.";
            let satisfaction = self.range(2, 5) as u8;
            b.case_progress(
                cid,
                [Some(ack), Some(apologized), Some(amended), Some(anticipated)],
                Some(note),
                Some((closed.min(now), satisfaction)),
            )?;
            self.sum.cases += 1;
        }
        if let Some((cid, opened)) = open_case
            && self.chance(50)
        {
            let ack = opened + Duration::minutes(self.range(20, 20 * 60));
            if ack < now {
                let apologized =
                    self.chance(60).then(|| ack + Duration::minutes(self.range(5, 90))).filter(|t| *t < now);
                b.case_progress(cid, [Some(ack), apologized, None, None], None, None)?;
            }
        }
        Ok(())
    }

    fn plan_deals(&mut self, who: &Who) -> Vec<PlannedDeal> {
        let Who { kind, profile, value, lang, owner, start_ago, end_ago, .. } = *who;
        let n_stages = self.opts.stages.len();
        let count = match profile {
            Profile::Duplicate => 0,
            Profile::Prospect => i64::from(self.chance(60)),
            Profile::Negative => i64::from(self.chance(10)),
            _ => match kind {
                CustomerKind::Enterprise => self.pick(&[0, 1, 1, 2, 2, 3]),
                CustomerKind::Household => i64::from(self.chance(25)),
                CustomerKind::Individual => i64::from(self.chance(15)),
            },
        };
        let mut out = Vec::new();
        for _ in 0..count {
            let regular = !matches!(profile, Profile::Prospect | Profile::Negative);
            let end = if regular && self.deal_seq < n_stages + 2 {
                let k = self.deal_seq;
                self.deal_seq += 1;
                if k < n_stages {
                    DealEnd::Open(k)
                } else if k == n_stages {
                    DealEnd::Won
                } else {
                    DealEnd::Lost
                }
            } else if regular {
                self.deal_seq += 1;
                match self.range(0, 99) {
                    0..50 => DealEnd::Open(self.early_stage()),
                    50..75 => DealEnd::Won,
                    _ => DealEnd::Lost,
                }
            } else if self.chance(70) {
                DealEnd::Open(self.range(0, (n_stages as i64 - 1).min(1)) as usize)
            } else {
                DealEnd::Lost
            };
            let amount = {
                let pct = if kind == CustomerKind::Enterprise { self.range(10, 60) } else { self.range(30, 120) };
                Money(((value * pct / 100) / 1_000 * 1_000).max(10_000))
            };
            // Days ago of creation and of each move, walking back from the
            // last one.
            let (last_ago, moves, stale) = match end {
                DealEnd::Open(k) => {
                    let stale = self.chance(20);
                    let last = if stale { self.range(100, 300) } else { self.range(0, 25) };
                    (last, k, stale)
                }
                DealEnd::Won | DealEnd::Lost => {
                    let hi = if regular { start_ago.min(HISTORY_DAYS - 30) } else { start_ago };
                    let lo = end_ago.max(1).min(hi);
                    let close = self.range(lo, hi);
                    let walked = if end == DealEnd::Won {
                        self.range((n_stages as i64 - 1).min(1), n_stages as i64 - 1) as usize
                    } else {
                        self.range(0, n_stages as i64 - 1) as usize
                    };
                    (close, walked + 1, false)
                }
            };
            let mut moves_ago = vec![last_ago];
            for _ in 0..moves {
                let prev = *moves_ago.last().unwrap_or(&last_ago);
                let gap = self.range(2, 21);
                moves_ago.push(prev + gap);
            }
            moves_ago.reverse();
            let today = self.opts.today;
            let expected_close = match end {
                DealEnd::Open(_) => {
                    let overdue = if stale { self.chance(60) } else { self.chance(15) };
                    if overdue {
                        today - Duration::days(self.range(1, 45))
                    } else {
                        today + Duration::days(self.range(7, 120))
                    }
                }
                _ => today - Duration::days(last_ago) + Duration::days(self.range(-10, 20)),
            };
            let competitors = {
                let pct = if end == DealEnd::Lost { 60 } else { 30 };
                if self.chance(pct) {
                    let a = self.pick(COMPETITORS);
                    let b = self.pick(COMPETITORS);
                    Some(if a != b && self.chance(30) { format!("{a}, {b}") } else { a.to_string() })
                } else {
                    None
                }
            };
            let probability_pct = match end {
                DealEnd::Open(_) if self.chance(10) => Some(self.range(5, 95) as u8),
                _ => None,
            };
            let dl = self.summary_lang(lang);
            let template = self.pick(texts(dl).deals);
            let title = self.text(template, dl);
            let next_step = match end {
                DealEnd::Open(_) if self.chance(70) => Some(self.pick(texts(dl).next_steps).to_string()),
                _ => None,
            };
            let owner = if self.chance(80) { owner } else { self.pick(AGENTS) };
            out.push(PlannedDeal {
                title,
                amount,
                end,
                moves_ago,
                expected_close,
                competitors,
                probability_pct,
                owner: owner.to_string(),
                next_step,
            });
        }
        out
    }

    /// An open stage, earlier ones more likely (a pipeline narrows).
    fn early_stage(&mut self) -> usize {
        let n = self.opts.stages.len() as i64;
        let mut r = self.range(0, n * (n + 1) / 2 - 1);
        for k in 0..n {
            let w = n - k;
            if r < w {
                return k as usize;
            }
            r -= w;
        }
        0
    }

    fn insert_deal(&mut self, b: &Batch, customer_id: i64, d: &PlannedDeal) -> Result<(), RepoError> {
        let stages = &self.opts.stages;
        let created = self.at_deal(d.moves_ago[0]);
        let id = b.deal(&NewDeal {
            customer_id,
            title: d.title.clone(),
            amount: d.amount,
            stage: stages[0].clone(),
            probability_pct: d.probability_pct,
            expected_close: Some(d.expected_close),
            competitors: d.competitors.clone(),
            owner: Some(d.owner.clone()),
            next_step: d.next_step.clone(),
            created_at: created,
        })?;
        self.sum.deals += 1;
        for (k, ago) in d.moves_ago.iter().enumerate().skip(1) {
            // A new deal is version 1; each move adds one.
            let version = k as i64;
            let at = self.at_deal(*ago);
            let last = k == d.moves_ago.len() - 1;
            match d.end {
                DealEnd::Won if last => {
                    let reason = self.pick(WON_REASONS);
                    b.move_deal(id, version, "Won", DealStatus::Won, Some(reason), at)?;
                }
                DealEnd::Lost if last => {
                    let reason = if self.opts.lost_reasons.is_empty() {
                        None
                    } else {
                        let j = self.range(0, self.opts.lost_reasons.len() as i64 - 1) as usize;
                        Some(self.opts.lost_reasons[j].clone())
                    };
                    b.move_deal(id, version, "Lost", DealStatus::Lost, reason.as_deref(), at)?;
                }
                _ => {
                    let stage = stages[k.min(stages.len() - 1)].clone();
                    b.move_deal(id, version, &stage, DealStatus::Open, None, at)?;
                }
            }
        }
        Ok(())
    }

    /// Deal events happen at a fixed hour of their day: moves are days
    /// apart, so their order is the order of the days.
    fn at_deal(&mut self, days_ago: i64) -> DateTime<Utc> {
        let minute = self.range(0, 59) as u32;
        self.at(days_ago, 10, minute)
    }

    fn plan_money(&mut self, who: &Who, deals: &[PlannedDeal]) -> Vec<PlannedTx> {
        let Who { kind, profile, value, start_ago, end_ago, .. } = *who;
        let mut out = Vec::new();
        if matches!(profile, Profile::Prospect | Profile::Duplicate) {
            return out;
        }
        let per_year = match kind {
            CustomerKind::Enterprise => self.range(4, 24),
            CustomerKind::Household => self.range(2, 8),
            CustomerKind::Individual => self.range(1, 6),
        };
        let avg = (value / per_year).max(500);
        let lo = end_ago.max(1);
        if profile == Profile::Negative {
            // A little business, then refunds and costly service.
            let mut sales_total = 0;
            for _ in 0..self.range(1, 3) {
                let d = self.range(lo.max(30), start_ago);
                let a = self.sale_amount(avg);
                sales_total += a;
                self.sale(&mut out, d, a, 70);
            }
            let cost_total = sales_total * self.range(120, 250) / 100;
            let n = self.range(1, 3);
            for k in 0..n {
                let d = self.range(lo, start_ago);
                let share = if k == n - 1 { cost_total - cost_total / n * (n - 1) } else { cost_total / n };
                let at = self.moment(d);
                out.push(PlannedTx {
                    at,
                    kind: TxKind::ServiceCost,
                    amount: share.max(1),
                    reference: Some("On-site repair".into()),
                });
            }
        } else {
            let active = (start_ago - lo).max(1);
            let n = (per_year * active / 365).max(1);
            for _ in 0..n {
                let d = self.range(lo, start_ago);
                let mut a = self.sale_amount(avg);
                if profile == Profile::Rising && d <= 90 {
                    a = a * 5 / 2;
                }
                self.sale(&mut out, d, a, 6);
            }
            if profile == Profile::Rising {
                for _ in 0..2 {
                    let d = self.range(1, 90);
                    let a = self.sale_amount(avg * 2);
                    self.sale(&mut out, d, a, 0);
                }
                let d = self.range(91, 180);
                let a = self.sale_amount(avg);
                self.sale(&mut out, d, a, 0);
            }
        }
        for d in deals {
            if d.end == DealEnd::Won {
                let ago = *d.moves_ago.last().unwrap_or(&1);
                if (1..HISTORY_DAYS).contains(&ago) {
                    self.sale(&mut out, ago, d.amount.0, 3);
                }
            }
        }
        out.sort_by_key(|t| t.at);
        out
    }

    fn sale_amount(&mut self, avg: i64) -> i64 {
        let a = avg * self.range(50, 150) / 100;
        let cents = self.pick(&[0, 0, 0, 50, 99]);
        (a / 100 * 100 + cents).max(500)
    }

    /// A sale `d` days ago, with what follows it: a discount sometimes, a
    /// refund with `refund_pct` probability, a service cost sometimes,
    /// payment (most of the time), and a write-off of some old unpaid
    /// invoices.
    fn sale(&mut self, out: &mut Vec<PlannedTx>, d: i64, amount: i64, refund_pct: u32) {
        self.invoice_seq += 1;
        let at = self.moment(d);
        let reference = Some(format!("INV-{}-{:05}", at.year(), self.invoice_seq));
        out.push(PlannedTx { at, kind: TxKind::Sale, amount, reference: reference.clone() });
        let discount = if self.chance(15) { amount * self.range(5, 15) / 100 } else { 0 };
        if discount > 0 {
            out.push(PlannedTx {
                at: at + Duration::minutes(1),
                kind: TxKind::Discount,
                amount: discount,
                reference: reference.clone(),
            });
        }
        let mut refund = 0;
        if self.chance(refund_pct) {
            let rd = d - self.range(2, 10);
            if rd >= 1 {
                refund = (amount - discount) * self.range(20, 100) / 100;
                let at = self.moment(rd);
                out.push(PlannedTx { at, kind: TxKind::Refund, amount: refund, reference: reference.clone() });
            }
        }
        // Serving a sale sometimes costs a share of it (support, shipping).
        if self.chance(18) {
            let cd = (d - self.range(0, 20)).max(1);
            let at = self.moment(cd);
            let reason = self.pick(&["Support call", "Field visit", "Shipping", "Replacement part"]);
            out.push(PlannedTx {
                at,
                kind: TxKind::ServiceCost,
                amount: (amount * self.range(5, 30) / 100).max(100),
                reference: Some(reason.into()),
            });
        }
        let net = amount - discount - refund;
        if net <= 0 {
            return;
        }
        let unpaid = self.chance(10);
        let pay_day = d - self.range(3, 45);
        if !unpaid && pay_day >= 1 {
            let at = self.moment(pay_day);
            out.push(PlannedTx { at, kind: TxKind::Payment, amount: net, reference });
        } else if unpaid && d >= 240 && self.chance(25) {
            let wd = d - self.range(180, 220);
            let at = self.moment(wd.max(1));
            out.push(PlannedTx { at, kind: TxKind::WriteOff, amount: net, reference });
        }
    }

    fn plan_interactions(&mut self, who: &Who, txs: &[PlannedTx]) -> Vec<PlannedInteraction> {
        let Who { kind, profile, lang, owner, start_ago, end_ago, .. } = *who;
        let n = match profile {
            Profile::Duplicate => 1,
            Profile::Prospect => self.range(1, 4),
            _ => {
                let n = match kind {
                    CustomerKind::Enterprise => self.range(6, 20),
                    CustomerKind::Household => self.range(2, 8),
                    CustomerKind::Individual => self.range(1, 6),
                };
                (n * (start_ago - end_ago).max(30) / HISTORY_DAYS).max(1)
            }
        };
        // A churned customer still gets a few attempts after leaving.
        let last = if profile == Profile::Churned { (end_ago - 60).max(1) } else { 0 };
        let mut out = Vec::new();
        for _ in 0..n {
            let d = self.range(last, start_ago);
            let l = self.summary_lang(lang);
            let (template, outcome) = self.pick(texts(l).summaries);
            let channel = if matches!(outcome, Outcome::Voicemail | Outcome::NoAnswer) {
                Channel::Call
            } else {
                match self.range(0, 99) {
                    0..40 => Channel::Call,
                    40..65 => Channel::Email,
                    65..75 => Channel::Visit,
                    75..88 => Channel::Chat,
                    _ => Channel::Message,
                }
            };
            let direction = if matches!(outcome, Outcome::Voicemail | Outcome::NoAnswer) || self.chance(40) {
                Direction::Outbound
            } else {
                Direction::Inbound
            };
            let agent = if self.chance(75) { owner } else { self.pick(AGENTS) };
            let at = self.moment(d);
            out.push(PlannedInteraction {
                at,
                channel,
                direction,
                summary: self.text(template, l),
                outcome,
                agent,
                tag: Tag::None,
            });
        }
        // Some sales were taken on the phone.
        for t in txs.iter().filter(|t| t.kind == TxKind::Sale) {
            if self.chance(25) {
                let l = self.summary_lang(lang);
                let template = texts(l).summaries.iter().find(|s| s.1 == Outcome::Sale).map_or("{product}", |s| s.0);
                out.push(PlannedInteraction {
                    at: t.at - Duration::minutes(self.range(5, 90)),
                    channel: Channel::Call,
                    direction: Direction::Inbound,
                    summary: self.text(template, l),
                    outcome: Outcome::Sale,
                    agent: owner,
                    tag: Tag::None,
                });
            }
        }
        out
    }

    fn reminders(&mut self, b: &Batch, customer_id: i64, who: &Who) -> Result<(), RepoError> {
        let Who { kind, profile, special, lang, owner, .. } = *who;
        // (days ago, done) of each reminder; negative days are ahead.
        let mut plan: Vec<(i64, bool)> = Vec::new();
        match special {
            Some(Special::Zoe) => plan.push((0, false)),
            Some(Special::Yamada) => plan.push((3, false)),
            _ => {}
        }
        if profile != Profile::Duplicate && self.chance(40) {
            let n = if kind == CustomerKind::Enterprise { self.range(1, 3) } else { self.range(1, 2) };
            for _ in 0..n {
                plan.push(match self.range(0, 99) {
                    0..25 => (self.range(1, 20), false),
                    25..45 => (0, false),
                    45..75 => (-self.range(1, 30), false),
                    _ => (self.range(5, 300), true),
                });
            }
        }
        for (ago, done) in plan {
            let due = if ago == 0 {
                let h = self.range(9, 17) as u32;
                self.at(0, h, 0)
            } else {
                let h = self.range(8, 17) as u32;
                let m = self.pick(&[0, 15, 30, 45]);
                self.at(ago, h, m)
            };
            let rk = match self.range(0, 99) {
                0..40 => ReminderKind::Call,
                40..75 => ReminderKind::FollowUp,
                _ => ReminderKind::Task,
            };
            let l = self.summary_lang(lang);
            let template = self.pick(texts(l).reminders);
            let note = self.text(template, l);
            let recurrence = match if done { 99 } else { self.range(0, 99) } {
                0..6 => Some("monthly".to_string()),
                6..10 => Some("days:14".to_string()),
                _ => None,
            };
            let rid = b.reminder(&NewReminder {
                customer_id,
                kind: rk,
                due_at: due,
                note,
                owner: Some(owner.to_string()),
                recurrence,
                origin: None,
            })?;
            self.sum.reminders += 1;
            if done && let Some(rid) = rid {
                let late = self.range(0, 2);
                b.complete_reminder(rid, due + Duration::days(late) + Duration::minutes(self.range(5, 240)))?;
            }
        }
        Ok(())
    }
}
