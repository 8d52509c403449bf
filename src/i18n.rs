//! Every piece of text the user reads, keyed, in English and Simplified
//! Chinese. Render code asks for `Txt::X.get(lang)`; no user-facing string
//! literal lives in a pane.

pub use crate::config::Lang;
use crate::domain::model::{Channel, CustomerKind, Direction, Outcome, Tier};

macro_rules! texts {
    ($($key:ident => $en:literal, $zh:literal;)+) => {
        /// A key into the interface text.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum Txt { $($key),+ }

        impl Txt {
            pub const ALL: &'static [Txt] = &[$(Txt::$key),+];

            pub fn get(self, lang: Lang) -> &'static str {
                match (self, lang) {
                    $((Txt::$key, Lang::En) => $en, (Txt::$key, Lang::Zh) => $zh,)+
                }
            }
        }
    };
}

texts! {
    AppName => "rapport", "rapport";
    PaneCustomers => "Customers", "客户";
    PanePyramid => "Pyramid", "客户金字塔";
    PanePipeline => "Pipeline", "商机";
    PaneCare => "Care", "客户关怀";
    PaneCard => "Customer", "客户档案";
    PaneHelp => "Key bindings", "按键说明";
    SearchLabel => "Search", "搜索";
    SearchHint => "name, company, email or phone digits", "姓名、公司、邮箱或电话号码";
    Matches => "matches", "条结果";
    SearchIndexing => "search index building: slower", "搜索索引建立中：较慢";
    NoMatch => "No customer matches", "没有匹配的客户";
    EmptyBase => "This base has no customers yet. Press {key} to load demo data.", "数据库中还没有客户。按 {key} 加载演示数据。";
    DemoLoaded => "Demo data loaded.", "演示数据已加载。";
    ColName => "Name", "姓名";
    ColKind => "Kind", "类型";
    ColTier => "Tier", "层级";
    ColPhone => "Phone", "电话";
    ColCompany => "Company / email", "公司 / 邮箱";
    KindEnterprise => "enterprise", "企业";
    KindHousehold => "household", "家庭";
    KindIndividual => "individual", "个人";
    TierTop => "Top", "最有价值";
    TierGrowth => "Growth", "最具增长性";
    TierLow => "Low", "低贡献";
    TierNegative => "Negative", "负值";
    StrategyTop => "retain: keep them, first in every queue", "保持：优先服务，重点维系";
    StrategyGrowth => "cultivate: cross-sell, raise share of wallet", "培养：交叉销售，提高钱包份额";
    StrategyLow => "transform: serve at lower cost, or move up", "转化：降低服务成本或促其升级";
    StrategyNegative => "reprice or phase out", "重新定价或逐步淘汰";
    Pinned => "pinned", "手动";
    OnHold => "ON HOLD", "信用冻结";
    Vip => "VIP", "会员";
    Phone => "Phone", "电话";
    Email => "Email", "邮箱";
    Company => "Company", "公司";
    Owner => "Owner", "负责人";
    Location => "Location", "地址";
    Contribution => "Contribution (window)", "贡献（窗口期）";
    Outstanding => "Outstanding", "应收余额";
    Invoiced => "invoiced", "已开票";
    Paid => "paid", "已付";
    Contacts => "Contacts", "联系人";
    NoContacts => "no contacts", "无联系人";
    RecentInteractions => "Recent interactions", "最近互动";
    NoInteractions => "no interactions yet", "暂无互动";
    OpenDeals => "Open deals", "进行中的商机";
    NoOpenDeals => "no open deals", "无进行中的商机";
    OpenReminders => "Reminders and promises", "提醒与承诺";
    NoOpenReminders => "nothing open", "无待办";
    OpenComplaints => "open complaints", "未结投诉";
    Promise => "promise", "承诺";
    LogTitle => "Log interaction", "记录互动";
    FieldChannel => "Channel", "渠道";
    FieldDirection => "Direction", "方向";
    FieldSummary => "Summary", "摘要";
    FieldOutcome => "Outcome", "结果";
    FieldPromise => "Promise made", "所作承诺";
    FieldPromiseDue => "Promise due", "承诺期限";
    FormHintChoice => "←/→ change", "←/→ 切换";
    FormHintDate => "YYYY-MM-DD, today, tomorrow, +3 (days)", "YYYY-MM-DD、today、tomorrow、+3（天）";
    FormSave => "save", "保存";
    FormCancel => "cancel", "取消";
    FormNextField => "next field", "下一栏";
    ErrSummaryRequired => "A summary is required.", "摘要不能为空。";
    ErrPromiseDue => "A promise needs a due date.", "承诺需要期限。";
    ErrBadDate => "Not a date: use YYYY-MM-DD, today, tomorrow or +N.", "日期无效：请用 YYYY-MM-DD、today、tomorrow 或 +N。";
    ErrDueInPast => "A promise cannot fall due in the past.", "承诺期限不能早于今天。";
    Logged => "Interaction saved.", "互动已保存。";
    ChannelCall => "call", "电话";
    ChannelEmail => "email", "邮件";
    ChannelVisit => "visit", "拜访";
    ChannelChat => "chat", "在线聊天";
    ChannelMessage => "message", "短信";
    DirInbound => "inbound", "呼入";
    DirOutbound => "outbound", "呼出";
    OutResolved => "resolved", "已解决";
    OutFollowUp => "follow-up needed", "需跟进";
    OutInfoGiven => "information given", "已告知信息";
    OutNoAnswer => "no answer", "无人接听";
    OutVoicemail => "voicemail", "已留言";
    OutSale => "sale", "成交";
    OutComplaint => "complaint", "投诉";
    Customers => "customers", "位客户";
    ShareOfValue => "of value", "价值占比";
    Total => "total", "合计";
    BandCustomers => "Customers in band", "本层客户";
    EmptyBand => "no customers in this band", "本层没有客户";
    Window => "window", "窗口期";
    SinceSnapshot => "since last snapshot", "自上次快照";
    Migration => "Moves between tiers", "层级迁移";
    NoMigrationYet => "Only one snapshot so far: moves show from the second day on (or press s tomorrow).", "目前只有一次快照：从第二天起可查看迁移。";
    NobodyMoved => "Nobody changed tier between the two snapshots.", "两次快照之间没有客户变动层级。";
    TopDropped => "TOP DROPPED", "顶层客户下滑";
    SnoozeTitle => "Snooze", "推迟";
    SnoozeUntil => "Until", "推迟到";
    SnoozeHint => "+1 a day, +7 a week, tomorrow, or YYYY-MM-DD; enter to save", "+1 一天，+7 一周，tomorrow 或 YYYY-MM-DD；回车保存";
    ErrSnoozeFuture => "Snooze to a day after today.", "请推迟到今天之后的日期。";
    Snoozed => "Snoozed until", "已推迟到";
    OnlyRemindersSnooze => "Only reminders can be snoozed: a promise keeps the date promised, a complaint its deadline.", "只能推迟提醒：承诺须按约定日期兑现，投诉须在期限内处理。";
    DoneReminder => "Done.", "已完成。";
    DoneRecurs => "Done; it comes back on", "已完成；下次提醒：";
    DoneKept => "Promise kept.", "承诺已兑现。";
    DoneLate => "Promise kept, late.", "承诺已兑现（逾期）。";
    KeyDone => "done", "完成";
    KeySnooze => "snooze", "推迟";
    ErrReasonRequired => "Give a reason.", "请填写原因。";
    DealWon => "Deal won.", "商机已赢单。";
    DealLost => "Deal lost.", "商机已输单。";
    MarkWon => "Won", "赢单";
    MarkLost => "Lost", "输单";
    Reason => "Reason", "原因";
    Detail => "Detail", "详情";
    CloseHint => "enter saves · esc cancels", "回车保存 · esc 取消";
    ErrPickCustomer => "Pick a customer: type part of a name, ←/→ to choose.", "请选择客户：输入名称，←/→ 选择。";
    ErrTitleRequired => "A title is required.", "标题不能为空。";
    ErrNegativeAmount => "An amount cannot be negative.", "金额不能为负。";
    ErrProbability => "A probability is a whole number from 0 to 100.", "概率须为 0 到 100 的整数。";
    DealSaved => "Deal saved.", "商机已保存。";
    DealCreated => "Deal created.", "商机已创建。";
    NewDeal => "New deal", "新建商机";
    EditDeal => "Edit deal", "编辑商机";
    FieldCustomer => "Customer", "客户";
    FieldTitle => "Title", "标题";
    FieldAmount => "Amount", "金额";
    FieldStage => "Stage", "阶段";
    FieldProbability => "Probability %", "概率 %";
    FieldClose => "Expected close", "预计成交日";
    FieldCompetitors => "Competitors", "竞争对手";
    FieldNextStep => "Next step", "下一步";
    StageDefault => "stage default", "阶段默认";
    DealFormHint => "tab next field · ←/→ choose · enter saves · esc cancels · dates YYYY-MM-DD", "tab 下一栏 · ←/→ 选择 · 回车保存 · esc 取消 · 日期 YYYY-MM-DD";
    Moved => "Moved to", "已移至";
    LastOpenStage => "This is the last open stage: mark it won or lost.", "已是最后一个阶段：请标记赢单或输单。";
    FilterMine => "mine", "我的";
    SortedBy => "sorted by", "排序";
    SortAmount => "amount", "金额";
    SortClose => "close date", "成交日";
    SortAge => "age in stage", "停留时间";
    FilterTitle => "Filter the board", "筛选商机";
    FilterHint => "text in the title or the customer; empty shows all; enter applies", "标题或客户中的文字；留空显示全部；回车应用";
    KeyMove => "move", "移动";
    KeyWon => "won", "赢单";
    KeyLost => "lost", "输单";
    KeyNew => "new", "新建";
    RuleFollowUp => "Follow up on the sale of", "销售回访";
    RuleBirthday => "Birthday of", "生日";
    RuleNoContact => "No contact for", "未联系";
    RuleTierDrop => "Fell out of the Top tier", "跌出最有价值层";
    RuleCredit => "Over the credit limit", "超出信用额度";
    RuleComplaint => "Complaint past its deadline", "投诉已超期";
    RulePromise => "Promise falls due", "承诺即将到期";
    RuleChurnRisk => "Valuable customer drifting away", "重要客户有流失风险";
    ExpectedNext => "expected buys", "预计购买";
    AtRisk => "AT RISK", "流失风险";
    StageProspect => "prospect", "潜在客户";
    StageNew => "new", "新客户";
    StageGrowing => "growing", "成长期";
    StageMature => "mature", "成熟期";
    StageDeclining => "declining", "衰退期";
    StageLost => "lost", "已流失";
    WinBackTitle => "Win back: lost customers who were once Top or Growth", "挽回：曾为重要客户、现已流失";
    NoWinBack => "No lost customer was ever Top or Growth.", "没有曾为重要客户而流失的客户。";
    TeamMisses => "Missed service levels", "未达标事项";
    ThisWeek => "this week", "本周";
    Last30 => "last 30 days", "近 30 天";
    Last90 => "last 90 days", "近 90 天";
    ThisQuarter => "this quarter", "本季度";
    ThisYear => "this year", "今年";
    AnalysisRangeHint => "FROM..TO, as YYYY-MM-DD..YYYY-MM-DD; enter applies", "起止日期：YYYY-MM-DD..YYYY-MM-DD；回车应用";
    RangeTitle => "Period", "期间";
    RangeHint => "two dates: YYYY-MM-DD YYYY-MM-DD; enter applies", "两个日期：YYYY-MM-DD YYYY-MM-DD；回车应用";
    ColTarget => "Target", "目标";
    ColDeadline => "Deadline", "期限";
    ColLateBy => "Late by", "逾期";
    NothingMissed => "Every service level was met.", "所有服务水平均已达成。";
    DealsAgainst => "Deals against", "涉及商机";
    KeyPeriod => "period", "期间";
    Points => "points", "积分";
    PossibleDuplicate => "same phone/email as", "电话/邮箱相同：";
    ColExpected => "Exp.buys", "预计购买";
    ErrBadTime => "Not a time: use HH:MM.", "时间无效：请用 HH:MM。";
    ErrNoteRequired => "Say what the reminder is for.", "请填写提醒内容。";
    ReminderSaved => "Reminder set.", "提醒已设置。";
    ReminderChanged => "Reminder changed.", "提醒已修改。";
    FieldRole => "Role", "职务";
    PointsLedger => "VIP points ledger", "VIP 积分明细";
    Duplicates => "Possible duplicates", "疑似重复客户";
    Groups => "groups", "组";
    DuplicatesHint => "↑/↓ group · ←/→ customer to keep · m merge the others into it · enter open · esc back", "↑/↓ 选组 · ←/→ 选择保留的客户 · m 将其余合并到该客户 · 回车 打开 · esc 返回";
    NoDuplicates => "No customers share a phone or an email.", "没有客户共用电话或邮箱。";
    Keep => "keep", "保留";
    MergeInto => "Merge the others of this group into", "将本组其余客户合并到";
    MergeConfirm => "m again to merge, any other key to cancel", "再按 m 合并，按其他键取消";
    Merged => "Merged", "已合并";
    RecordsMoved => "records moved", "条记录已转移";
    FieldBirthday => "Birthday", "生日";
    NewContact => "New contact", "新建联系人";
    EditContact => "Edit contact", "编辑联系人";
    ContactSaved => "Contact saved.", "联系人已保存。";
    ContactArchived => "Contact archived (hidden, not deleted).", "联系人已归档（隐藏，未删除）。";
    ContactRestored => "Contact restored.", "联系人已恢复。";
    ErrBadBirthday => "Birthday: a date YYYY-MM-DD, or empty.", "生日：日期 YYYY-MM-DD，或留空。";
    ContactFormHint => "tab next field · enter saves · esc cancels · birthday YYYY-MM-DD", "tab 下一字段 · 回车保存 · esc 取消 · 生日 YYYY-MM-DD";
    TabOverview => "Overview", "概览";
    TabTimeline => "Timeline", "时间线";
    TabContacts => "Contacts", "联系人";
    TabHint => "←/→ tabs", "←/→ 切换";
    NoTimeline => "Nothing has happened with this customer yet.", "此客户还没有任何记录。";
    ArchivedTag => "archived", "已归档";
    ContactsHint => "n new · e edit · a archive/restore", "n 新建 · e 编辑 · a 归档/恢复";
    EvCreated => "created", "创建";
    EvMoved => "moved", "推进";
    EvOpened => "opened", "登记";
    EvClosed => "closed", "结案";
    EvPromised => "promised", "承诺";
    EvDue => "due", "到期";
    EditReminder => "Edit reminder", "编辑提醒";
    OnlyRemindersEdit => "Only reminders are edited here: a promise keeps what was promised, a complaint its deadline.", "此处只能编辑提醒：承诺保持原定内容，投诉保持期限。";
    CareFigures => "Figures", "统计";
    PromisesKept => "Promises kept", "承诺兑现";
    ColSettled => "Settled", "已了结";
    ColBroken => "Broken", "未兑现";
    ColKeptPct => "Kept %", "兑现率";
    OpenByAge => "open now", "当前未结";
    Acknowledged => "acknowledged", "已确认";
    ClosedLabel => "closed", "已结案";
    MedianLabel => "median", "中位数";
    OnTarget => "on target", "达标";
    NoCareActivity => "No promise settled and no complaint handled in the period.", "本期没有了结的承诺，也没有处理的投诉。";
    NewReminder => "New reminder", "新建提醒";
    FieldTime => "Time", "时间";
    FieldNote => "Note", "备注";
    FieldRepeat => "Repeats", "重复";
    Cancelled => "Reminder cancelled.", "提醒已取消。";
    Broken => "Promise marked broken.", "承诺已标记为未兑现。";
    UpcomingTitle => "Due in the next 7 days", "未来 7 天到期";
    RulesRaised => "Care rules raised", "关怀规则新建提醒";
    Analysis => "Pipeline analysis", "商机分析";
    WinRate => "Win rate", "赢单率";
    CycleTime => "cycle to won", "成交周期";
    Conversion => "Converted", "转化率";
    DaysInStage => "Days in stage", "阶段天数";
    LostReasons => "Main lost reasons", "主要输单原因";
    NoneYet => "none in the period", "本期没有";
    NoReason => "(no reason)", "（无原因）";
    Forecast => "Forecast by month of expected close", "按预计成交月份的预测";
    NoDate => "no date", "无日期";
    KeyAnalysis => "analysis", "分析";
    AllStepsDone => "All four steps are done: close the complaint (c).", "四个步骤均已完成：请结案（c）。";
    FieldCity => "City", "城市";
    FieldCountry => "Country", "国家";
    FieldCreditLimit => "Credit limit", "信用额度";
    ErrNameRequired => "A name is required.", "姓名不能为空。";
    CustomerSaved => "Customer saved.", "客户已保存。";
    NewCustomer => "New customer", "新建客户";
    EditCustomer => "Edit customer", "编辑客户";
    UnknownNumber => "Unknown number: a new customer with it?", "未知号码：用它新建客户？";
    Archived => "Customer archived (hidden, not deleted; r restores).", "客户已归档（隐藏而非删除；r 恢复）。";
    Restored => "Customer restored.", "客户已恢复。";
    ArchivedBanner => "ARCHIVED", "已归档";
    NoDialer => "No dialer configured: set [ui] dialer (e.g. 'linphonecsh dial {number}') in config.toml.", "未配置拨号器：请在 config.toml 中设置 [ui] dialer。";
    NoPhone => "This customer has no phone number.", "该客户没有电话号码。";
    Dialing => "Dialing", "正在拨打";
    DraftRestored => "A call you were logging when the last session ended is back: finish it or esc.", "上次会话中断时正在记录的通话已恢复：请完成或按 esc。";
    ErrPositiveAmount => "The amount is more than zero; the kind gives the sign.", "金额须大于零；正负由类型决定。";
    ErrTxDate => "A date up to today: YYYY-MM-DD, today, or a past day.", "日期不能晚于今天：YYYY-MM-DD 或 today。";
    TxSaved => "Transaction saved; the pyramid is being recomputed.", "交易已保存；正在重新计算客户金字塔。";
    NewTransaction => "New transaction", "新建交易";
    FieldDate => "Date", "日期";
    FieldReference => "Reference", "参考号";
    HoldLifted => "Credit hold lifted.", "信用冻结已解除。";
    NotOnHold => "This customer is not on hold.", "该客户未被冻结。";
    Money => "Money", "资金";
    Ageing => "owed by age", "账龄";
    KeyDial => "dial", "拨号";
    KeyMoney => "money", "交易";
    CtxTeam => "team", "团队";
    PaneTeam => "Team", "团队";
    TeamAgents => "Agents", "坐席";
    TeamTeams => "Teams", "团队";
    TeamCompetitors => "Competitors", "竞争对手";
    ThisMonth => "this month", "本月";
    Benchmark => "* = benchmark (best in its column)", "* = 标杆（该列最佳）";
    ServiceLevels => "Service levels met", "服务水平达成";
    Misses => "missed", "未达成";
    ColAgent => "Agent", "坐席";
    ColInteractions => "Calls", "互动";
    ColCareOnTime => "On time", "按时";
    ColKept => "Kept", "守约";
    ColCareLate => "Late", "逾期";
    ColAckH => "Ack h", "确认时";
    ColCloseD => "Close d", "结案天";
    ColWon => "Won", "赢单";
    ColWonValue => "Won value", "赢单额";
    ColAckMet => "Ack ok", "确认达标";
    ColCloseMet => "Close ok", "结案达标";
    ColPromiseMet => "Promise ok", "承诺达标";
    ColCompetitor => "Competitor", "竞争对手";
    ColDeals => "Deals", "商机";
    ColLost => "Lost", "输单";
    ColWinRate => "Win rate", "赢单率";
    ColAtStake => "At stake", "涉及金额";
    ColTopLost => "Top lost reason", "主要输单原因";
    NobodyYet => "No activity in the period.", "本期没有活动。";
    SortedOn => "sorted by", "排序";
    KeyTeamMode => "agents/teams/competitors", "坐席/团队/对手";
    KeySort => "sort", "排序";
    StepDone => "Step done.", "步骤已完成。";
    CaseClosed => "Complaint closed.", "投诉已结案。";
    CaseOpened => "Complaint opened.", "投诉已登记。";
    ErrSatisfaction => "Satisfaction is a number from 1 to 5.", "满意度为 1 到 5 的数字。";
    AnticipateTitle => "Anticipate: what will prevent this next time?", "预防：下次如何避免？";
    AnticipateHint => "the preventive step, in a line; enter saves", "一句话写下预防措施；回车保存";
    SatisfactionTitle => "Close the complaint", "投诉结案";
    SatisfactionHint => "the customer's satisfaction, 1 (poor) to 5 (excellent); enter closes", "客户满意度 1（差）到 5（很好）；回车结案";
    NewComplaint => "New complaint", "新建投诉";
    FieldSeverity => "Severity", "严重程度";
    FieldDescription => "Description", "描述";
    Complaints => "Complaints", "投诉";
    OpenLabel => "open", "未结";
    MedianAck => "ack", "确认";
    MedianClose => "close", "结案";
    Last30Days => "30-day medians", "近 30 天中位数";
    NoOpenCases => "No open complaints.", "没有未结投诉。";
    ColAge => "Age", "时长";
    ColSeverity => "Severity", "严重程度";
    Col4A => "4A", "4A";
    KeyStep => "next 4A step", "下一步 4A";
    KeyCloseCase => "close", "结案";
    KeyComplaints => "complaints", "投诉";
    KeyToday => "today", "今日";
    Recomputing => "Recomputing the pyramid…", "正在重新计算客户金字塔…";
    SnapshotTaken => "Tiers recomputed and snapshot taken for", "已重新计算层级并保存快照：";
    TiersRecomputedFor => "Tiers recomputed for", "已重新计算层级：";
    NoSnapshotLater => "no snapshot: the latest is", "未保存快照，最新快照为";
    ColContribution => "Contribution", "贡献";
    ColSegment => "Segment", "细分";
    SegChampions => "champions", "冠军客户";
    SegLoyal => "loyal", "忠诚客户";
    SegPotential => "potential loyalists", "潜在忠诚";
    SegNew => "new customers", "新客户";
    SegPromising => "promising", "有潜力";
    SegAttention => "need attention", "需要关注";
    SegAboutToSleep => "about to sleep", "即将沉睡";
    SegAtRisk => "at risk", "有流失风险";
    SegCantLose => "can't lose them", "不能失去";
    SegHibernating => "hibernating", "休眠";
    SegLost => "lost", "已流失";
    SegNone => "no purchases", "无购买";
    PinTitle => "Pin to a tier", "指定层级";
    Unpin => "no pin (use the computed tier)", "取消指定（按计算结果）";
    Pinned2 => "Tier pin saved.", "层级指定已保存。";
    Segment => "Segment", "细分";
    Deals => "deals", "个商机";
    Weighted => "weighted", "加权";
    Stalled => "STALLED", "停滞";
    Late => "LATE", "逾期";
    DaysShort => "d", "天";
    Closes => "closes", "预计成交";
    NoDealsInStage => "no deals", "无商机";
    WonLost => "won / lost so far", "累计赢单 / 输单";
    DueTitle => "Overdue and due today", "逾期及今日到期";
    DueReminders => "reminders", "提醒";
    DuePromises => "promises", "承诺";
    DueCases => "complaints", "投诉";
    Complaint => "complaint", "投诉";
    NothingDue => "Nothing is due. Well done.", "今天没有到期事项。";
    DaysLate => "d late", "天逾期";
    DueToday => "today", "今天";
    ColDue => "Due", "到期";
    ColWhat => "What", "事项";
    ColCustomer => "Customer", "客户";
    HelpContext => "Where", "位置";
    HelpKeys => "Keys", "按键";
    HelpAction => "Does", "作用";
    CtxGlobal => "everywhere", "全局";
    CtxCustomers => "customer list", "客户列表";
    CtxCard => "customer card", "客户档案";
    CtxPyramid => "pyramid", "客户金字塔";
    CtxPipeline => "pipeline", "商机";
    CtxCare => "care", "客户关怀";
    CtxForm => "forms", "表单";
    CtxSearchInput => "typing a search", "输入搜索时";
    CtxHelp => "this help", "帮助";
    TooSmall => "Terminal too small", "终端窗口太小";
    Need => "need at least", "至少需要";
    ReadOnly => "READ-ONLY", "只读";
    KeyHelp => "help", "帮助";
    KeyQuit => "quit", "退出";
    KeySearch => "search", "搜索";
    KeyOpen => "open", "打开";
    KeyLog => "log call", "记录";
    KeyBack => "back", "返回";
    KeyPin => "pin tier", "指定层级";
    KeyMigration => "moves", "迁移";
    KeySnapshot => "snapshot", "快照";
    Error => "Error", "错误";
    DataChanged => "Updated with changes from another session.", "已载入其他会话的更改。";
    ConflictSaved => "Saved by someone else meanwhile", "他人在此期间已保存修改";
    ConflictChoices => "r reload their version · o overwrite with yours · esc keep editing", "r 载入对方版本 · o 用你的覆盖 · esc 继续编辑";
    ConflictTheirs => "theirs", "对方";
    ConflictYours => "yours", "你的";
    ConflictReloaded => "Their version is loaded; your changes were dropped.", "已载入对方的版本，你的修改已放弃。";
    ConflictKept => "kept their change to", "已保留对方修改";
    ConflictClosed => "It was closed by someone else meanwhile: nothing left to snooze (esc).", "此事项已被他人关闭，无需推迟（esc）。";
    FieldStatus => "Status", "状态";
    FieldTierPin => "Tier pin", "指定层级";
    FieldOnHold => "Credit hold", "信用冻结";
    FieldVipLevel => "VIP level", "会员等级";
    FieldExternalId => "External id", "外部编号";
    FieldCloseReason => "Close reason", "成交原因";
    HistoryTitle => "History", "变更历史";
    NoHistory => "no changes recorded", "暂无变更记录";
    HistoryHint => "↑/↓ scroll · H or esc closes", "↑/↓ 滚动 · H 或 esc 关闭";
    KeyHistory => "history", "历史";
    Yes => "yes", "是";
    No => "no", "否";
    EntCustomer => "customer", "客户";
    EntDeal => "deal", "商机";
    EntContact => "contact", "联系人";
    EntReminder => "reminder", "提醒";
    ActCreate => "created", "新建";
    ActUpdate => "changed", "修改";
}

impl Txt {
    /// The label of a record's field, from its code (see
    /// [`crate::domain::conflict`] and the audit log), if it has one.
    pub fn field(code: &str) -> Option<Txt> {
        Some(match code {
            "kind" => Txt::ColKind,
            "name" => Txt::ColName,
            "company" => Txt::Company,
            "phone" => Txt::Phone,
            "email" => Txt::Email,
            "city" => Txt::FieldCity,
            "country" => Txt::FieldCountry,
            "owner" => Txt::Owner,
            "credit_limit" => Txt::FieldCreditLimit,
            "status" => Txt::FieldStatus,
            "tier_pin" => Txt::FieldTierPin,
            "on_hold" => Txt::FieldOnHold,
            "vip_level" => Txt::FieldVipLevel,
            "note" => Txt::FieldNote,
            "external_id" => Txt::FieldExternalId,
            "title" => Txt::FieldTitle,
            "amount" => Txt::FieldAmount,
            "probability_pct" => Txt::FieldProbability,
            "expected_close" => Txt::FieldClose,
            "competitors" => Txt::FieldCompetitors,
            "next_step" => Txt::FieldNextStep,
            "stage" => Txt::FieldStage,
            "close_reason" | "reason" => Txt::FieldCloseReason,
            "due_at" => Txt::ColDue,
            "recurrence" => Txt::FieldRepeat,
            "role" => Txt::FieldRole,
            "birthday" => Txt::FieldBirthday,
            _ => return None,
        })
    }

    /// A field's label in `lang`, lower case, for a sentence ("phone,
    /// credit limit"); a field without a label is named by its code.
    pub fn field_name(code: &str, lang: Lang) -> String {
        Txt::field(code).map_or_else(|| code.replace('_', " "), |t| t.get(lang).to_lowercase())
    }

    pub fn kind(k: CustomerKind) -> Txt {
        match k {
            CustomerKind::Enterprise => Txt::KindEnterprise,
            CustomerKind::Household => Txt::KindHousehold,
            CustomerKind::Individual => Txt::KindIndividual,
        }
    }

    pub fn tier(t: Tier) -> Txt {
        match t {
            Tier::Top => Txt::TierTop,
            Tier::Growth => Txt::TierGrowth,
            Tier::Low => Txt::TierLow,
            Tier::Negative => Txt::TierNegative,
        }
    }

    pub fn strategy(t: Tier) -> Txt {
        match t {
            Tier::Top => Txt::StrategyTop,
            Tier::Growth => Txt::StrategyGrowth,
            Tier::Low => Txt::StrategyLow,
            Tier::Negative => Txt::StrategyNegative,
        }
    }

    pub fn segment(s: crate::domain::rfm::Segment) -> Txt {
        use crate::domain::rfm::Segment as S;
        match s {
            S::Champions => Txt::SegChampions,
            S::Loyal => Txt::SegLoyal,
            S::PotentialLoyalists => Txt::SegPotential,
            S::NewCustomers => Txt::SegNew,
            S::Promising => Txt::SegPromising,
            S::NeedAttention => Txt::SegAttention,
            S::AboutToSleep => Txt::SegAboutToSleep,
            S::AtRisk => Txt::SegAtRisk,
            S::CantLose => Txt::SegCantLose,
            S::Hibernating => Txt::SegHibernating,
            S::Lost => Txt::SegLost,
            S::NoPurchases => Txt::SegNone,
        }
    }

    /// A lifecycle stage's name from its stored code.
    pub fn lifecycle(code: &str) -> Txt {
        match code {
            "prospect" => Txt::StageProspect,
            "new" => Txt::StageNew,
            "growing" => Txt::StageGrowing,
            "mature" => Txt::StageMature,
            "declining" => Txt::StageDeclining,
            _ => Txt::StageLost,
        }
    }

    pub fn channel(c: Channel) -> Txt {
        match c {
            Channel::Call => Txt::ChannelCall,
            Channel::Email => Txt::ChannelEmail,
            Channel::Visit => Txt::ChannelVisit,
            Channel::Chat => Txt::ChannelChat,
            Channel::Message => Txt::ChannelMessage,
        }
    }

    pub fn direction(d: Direction) -> Txt {
        match d {
            Direction::Inbound => Txt::DirInbound,
            Direction::Outbound => Txt::DirOutbound,
        }
    }

    pub fn outcome(o: Outcome) -> Txt {
        match o {
            Outcome::Resolved => Txt::OutResolved,
            Outcome::FollowUp => Txt::OutFollowUp,
            Outcome::InfoGiven => Txt::OutInfoGiven,
            Outcome::NoAnswer => Txt::OutNoAnswer,
            Outcome::Voicemail => Txt::OutVoicemail,
            Outcome::Sale => Txt::OutSale,
            Outcome::Complaint => Txt::OutComplaint,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_text_exists_in_both_languages() {
        for t in Txt::ALL {
            assert!(!t.get(Lang::En).is_empty(), "{t:?} en");
            assert!(!t.get(Lang::Zh).is_empty(), "{t:?} zh");
        }
    }
}
