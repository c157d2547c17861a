/// The query language (`search help` and the README describe it):
///
///     复工复产 疫情           plain words: documents with any of them; those containing all rank first
///     "疫情防控 工作"          a quoted phrase: required, matched as written (spaces ignored)
///     +园区  -开发区           + requires a word, - excludes it
///     园区 OR 开发区           either; AND requires both; parentheses group
///     title:条例  path:*/tw-law/*    the title contains the text; the path matches the glob
///
/// A clause is required when it has `+`, is quoted, is a `title:` or `path:` filter, or is
/// joined by AND. Plain words are alternatives (at least one must match) unless a text is
/// required, in which case they only add to the score.
public indirect enum QueryNode: Sendable, Equatable {
    /// A piece of text matched contiguously (a word, or a quoted phrase).
    case text(String, quoted: Bool)
    case title(String)
    case path(String)
    /// Clauses combined as in Lucene's BooleanQuery.
    case boolean([QueryClause])
    case or([QueryNode])

    /// The texts that are not excluded, in order (what snippets look for).
    public var positiveTexts: [String] {
        switch self {
        case let .text(t, _): [t]
        case .title, .path: []
        case let .boolean(clauses): clauses.filter { $0.occur != .mustNot }.flatMap(\.node.positiveTexts)
        case let .or(nodes): nodes.flatMap(\.positiveTexts)
        }
    }

    /// Whether the node only narrows (a filter) rather than matches text.
    var isFilter: Bool {
        switch self {
        case .title, .path: true
        default: false
        }
    }
}

public struct QueryClause: Sendable, Equatable {
    public enum Occur: Sendable { case should, must, mustNot }
    public var occur: Occur
    public var node: QueryNode
}

public struct QuerySyntaxError: Error, CustomStringConvertible, Equatable {
    public var message: String
    /// 1-based column (in characters) where the problem is.
    public var column: Int
    public var description: String { "\(message) at column \(column)" }
}

public enum QueryParser {
    enum Token: Equatable {
        case word(String), quoted(String), open, close, and, or, plus, minus
        case field(String, String, quoted: Bool)
    }

    /// Whether `query` uses any syntax; a plain query keeps the plain meaning.
    public static func usesSyntax(_ query: String) -> Bool {
        guard let tokens = try? tokenize(query) else { return true }
        return tokens.contains { if case .word = $0.0 { return false } else { return true } }
    }

    public static func parse(_ query: String) throws -> QueryNode {
        let tokens = try tokenize(query)
        var index = 0
        let node = try parseOr(tokens, &index, query)
        if index < tokens.count {
            throw QuerySyntaxError(message: tokens[index].0 == .close ? "unbalanced parenthesis" : "unexpected \(describe(tokens[index].0))",
                                   column: tokens[index].1)
        }
        return node
    }

    static func describe(_ t: Token) -> String {
        switch t {
        case .and: "AND"
        case .or: "OR"
        case .close: ")"
        case .open: "("
        default: "text"
        }
    }

    /// Tokens with their 1-based columns.
    static func tokenize(_ query: String) throws -> [(Token, Int)] {
        let chars = Array(query)
        var tokens: [(Token, Int)] = []
        var i = 0
        func quoted(from start: Int) throws -> (String, Int) {
            var j = start + 1
            var text = ""
            while j < chars.count && !isQuote(chars[j]) {
                text.append(chars[j])
                j += 1
            }
            guard j < chars.count else { throw QuerySyntaxError(message: "unbalanced quote", column: start + 1) }
            return (text, j + 1)
        }
        while i < chars.count {
            let c = chars[i]
            if c.isWhitespace {
                i += 1
            } else if c == "(" || c == "（" {
                tokens.append((.open, i + 1)); i += 1
            } else if c == ")" || c == "）" {
                tokens.append((.close, i + 1)); i += 1
            } else if isQuote(c) {
                let (text, next) = try quoted(from: i)
                tokens.append((.quoted(text), i + 1))
                i = next
            } else if (c == "+" || c == "-") && i + 1 < chars.count && !chars[i + 1].isWhitespace
                        && (i == 0 || chars[i - 1].isWhitespace || chars[i - 1] == "(") {
                tokens.append((c == "+" ? .plus : .minus, i + 1)); i += 1
            } else {
                let start = i
                var word = ""
                while i < chars.count && !chars[i].isWhitespace && !isQuote(chars[i])
                        && chars[i] != "(" && chars[i] != ")" && chars[i] != "（" && chars[i] != "）" {
                    word.append(chars[i]); i += 1
                }
                if word == "AND" { tokens.append((.and, start + 1)); continue }
                if word == "OR" { tokens.append((.or, start + 1)); continue }
                if let colon = word.firstIndex(of: ":"), ["title", "path"].contains(String(word[..<colon])) {
                    let name = String(word[..<colon])
                    var value = String(word[word.index(after: colon)...])
                    var isQuoted = false
                    if value.isEmpty && i < chars.count && isQuote(chars[i]) {
                        let (text, next) = try quoted(from: i)
                        (value, i, isQuoted) = (text, next, true)
                    }
                    guard !value.isEmpty else { throw QuerySyntaxError(message: "\(name): needs a value", column: start + 1) }
                    tokens.append((.field(name, value, quoted: isQuoted), start + 1))
                    continue
                }
                tokens.append((.word(word), start + 1))
            }
        }
        return tokens
    }

    static func isQuote(_ c: Character) -> Bool { c == "\"" || c == "“" || c == "”" || c == "「" || c == "」" }

    static func parseOr(_ t: [(Token, Int)], _ i: inout Int, _ q: String) throws -> QueryNode {
        var alternatives = [try parseAnd(t, &i, q)]
        while i < t.count, t[i].0 == .or {
            let column = t[i].1
            i += 1
            guard i < t.count, t[i].0 != .close, t[i].0 != .or, t[i].0 != .and else {
                throw QuerySyntaxError(message: "OR needs something after it", column: column)
            }
            alternatives.append(try parseAnd(t, &i, q))
        }
        return alternatives.count == 1 ? alternatives[0] : .or(alternatives)
    }

    /// A sequence of clauses up to OR or a closing parenthesis.
    static func parseAnd(_ t: [(Token, Int)], _ i: inout Int, _ q: String) throws -> QueryNode {
        var clauses: [QueryClause] = []
        var nextIsRequired = false
        while i < t.count, t[i].0 != .or, t[i].0 != .close {
            if t[i].0 == .and {
                guard !clauses.isEmpty else { throw QuerySyntaxError(message: "AND needs something before it", column: t[i].1) }
                let column = t[i].1
                i += 1
                guard i < t.count, t[i].0 != .close, t[i].0 != .or, t[i].0 != .and else {
                    throw QuerySyntaxError(message: "AND needs something after it", column: column)
                }
                if clauses[clauses.count - 1].occur == .should { clauses[clauses.count - 1].occur = .must }
                nextIsRequired = true
                continue
            }
            var occur: QueryClause.Occur = nextIsRequired ? .must : .should
            nextIsRequired = false
            if t[i].0 == .plus || t[i].0 == .minus {
                occur = t[i].0 == .plus ? .must : .mustNot
                i += 1
            }
            let node = try parsePrimary(t, &i, q)
            if occur == .should, case let .text(_, quoted) = node, quoted { occur = .must }
            if occur == .should, node.isFilter { occur = .must }
            clauses.append(QueryClause(occur: occur, node: node))
        }
        if clauses.isEmpty {
            let column = i < t.count ? t[i].1 : q.count + 1
            throw QuerySyntaxError(message: i < t.count && t[i].0 == .or ? "OR needs something before it" : "empty query", column: column)
        }
        if clauses.count == 1 && clauses[0].occur == .should { return clauses[0].node }
        return .boolean(clauses)
    }

    static func parsePrimary(_ t: [(Token, Int)], _ i: inout Int, _ q: String) throws -> QueryNode {
        guard i < t.count else { throw QuerySyntaxError(message: "a + or - needs a word after it", column: q.count + 1) }
        let (token, column) = t[i]
        i += 1
        switch token {
        case let .word(w): return .text(w, quoted: false)
        case let .quoted(text): return .text(text, quoted: true)
        case let .field(name, value, _): return name == "title" ? .title(value) : .path(value)
        case .open:
            let inner = try parseOr(t, &i, q)
            guard i < t.count, t[i].0 == .close else { throw QuerySyntaxError(message: "unbalanced parenthesis", column: column) }
            i += 1
            return inner
        default:
            throw QuerySyntaxError(message: "unexpected \(describe(token))", column: column)
        }
    }
}
