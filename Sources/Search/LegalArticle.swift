import Index

/// What a document's title says when the document is one article of a law, as in a
/// collection of statutes split article by article (劳动合同法第十条, 民法典第一千零七十九条,
/// 著作權法第 3 條): the law it belongs to and that law's kind of instrument. Ranking uses
/// both (`RankingOptions.lawEvidenceWeight`, `instrumentBonus`); a title that names no
/// article gives nil, and the document is ranked on its own.
public struct LegalArticle: Sendable, Equatable {
    /// The title without its article number: the law's name.
    public var law: String
    public var kind: InstrumentKind

    /// Where an instrument stands among the sources of law, read off its name.
    public enum InstrumentKind: String, Sendable, CaseIterable {
        /// A law or code of the legislature (…法, …法典).
        case law
        /// An interpretation or provision of the Supreme People's Court or Procuratorate.
        case judicialInterpretation = "judicial interpretation"
        /// An administrative regulation (…条例).
        case regulation
        /// Departmental rules and measures (…规定, …办法, …细则, …规则).
        case rules
        case other
    }

    public init(law: String, kind: InstrumentKind) {
        self.law = law
        self.kind = kind
    }

    public init?(title: String) {
        guard let law = ArticleTitle.lawName(title) else { return nil }
        self.law = law
        self.kind = Self.kind(of: law)
    }

    static func kind(of law: String) -> InstrumentKind {
        var name = Array(law.unicodeScalars)
        // A trailing （一） or (2020修正) says which one, not what kind.
        if let close = name.last, close == "）" || close == ")",
           let open = name.lastIndex(where: { $0 == "（" || $0 == "(" }) {
            name.removeSubrange(open...)
        }
        func starts(_ p: String) -> Bool { let p = Array(p.unicodeScalars); return name.count >= p.count && Array(name[..<p.count]) == p }
        func ends(_ p: String) -> Bool { let p = Array(p.unicodeScalars); return name.count >= p.count && Array(name[(name.count - p.count)...]) == p }
        func holds(_ p: String) -> Bool {
            let p = Array(p.unicodeScalars)
            guard name.count >= p.count else { return false }
            return (0...(name.count - p.count)).contains { i in name[i..<(i + p.count)].elementsEqual(p) }
        }
        if starts("最高人民法院") || starts("最高人民检察院") || starts("最高人民檢察院") || holds("解释") || holds("解釋") {
            return .judicialInterpretation
        }
        if ends("条例") || ends("條例") { return .regulation }
        if ["规定", "規定", "办法", "辦法", "细则", "細則", "规则", "規則"].contains(where: ends) { return .rules }
        if ends("法") || ends("法典") { return .law }
        return .other
    }
}
