import Foundation

/// A runtime description of one botocore shape: its type and the constraints the model gives it.
///
/// `scripts/gen-shapes.py` writes one `Schema` per shape (in `Shapes/Generated*.swift`); the validator
/// (`Schema+Validation.swift`) and the query-form mapper (`Protocol/QueryForm.swift`) interpret them, so both
/// wire protocols share one validation path with AWS's wording.
public final class Schema: Sendable {
    public indirect enum Kind: Sendable {
        case string
        case integer
        case long
        case boolean
        case double
        case timestamp
        case blob
        case list(Schema)
        case map(key: Schema, value: Schema)
        case structure([Member])
    }

    public struct Member: Sendable {
        /// The AWS member name, e.g. `UserPoolId`.
        public let name: String
        public let schema: Schema
        public let required: Bool

        public init(_ name: String, _ schema: Schema, required: Bool = false) {
            self.name = name
            self.schema = schema
            self.required = required
        }
    }

    /// The botocore shape name, e.g. `UserPoolIdType`.
    public let name: String
    public let kind: Kind
    /// Length (strings, lists, maps) or value (numbers) bounds from the model.
    public let min: Double?
    public let max: Double?
    public let pattern: Pattern?
    public let enumValues: [String]?
    public let sensitive: Bool

    public init(
        _ name: String, _ kind: Kind, min: Double? = nil, max: Double? = nil, pattern: Pattern? = nil,
        enumValues: [String]? = nil, sensitive: Bool = false
    ) {
        self.name = name
        self.kind = kind
        self.min = min
        self.max = max
        self.pattern = pattern
        self.enumValues = enumValues
        self.sensitive = sensitive
    }

    public var members: [Member] {
        if case .structure(let m) = kind { return m }
        return []
    }

    public func member(named name: String) -> Member? {
        members.first { $0.name == name }
    }
}

/// A model pattern compiled once. AWS patterns are Java regular expressions matched against the whole value;
/// ICU (NSRegularExpression) understands the same classes (`\p{L}`, `\w`, ...).
public final class Pattern: @unchecked Sendable {
    // NSRegularExpression is immutable after creation and documented as safe to use from many threads.
    public let source: String
    private let regex: NSRegularExpression?
    /// For a pattern that is one character class repeated (`[...]+`, `[...]*`, the form of most id and token
    /// patterns): which ASCII bytes the class admits, asked of ICU itself once per byte. An all-ASCII value is then
    /// matched by table, without ICU (a regex match costs microseconds on every request); any other value still
    /// goes to the regex.
    private let ascii: (admits: [Bool], allowsEmpty: Bool)?

    public convenience init(_ source: String) {
        self.init(source, regex: source)
    }

    /// `source` is the model's (Java) text, quoted in error messages; `regex` is what ICU compiles. They differ
    /// where Java and ICU disagree: Java's `\w`, `\s`, `\d` are ASCII-only, ICU's are Unicode-aware, so
    /// `scripts/gen-shapes.py` spells those classes out.
    public init(_ source: String, regex: String) {
        self.source = source
        // \A...\z, not ^...$: `$` also matches before a final newline, and Java's `matches()` does not.
        self.regex = try? NSRegularExpression(pattern: "\\A(?:\(regex))\\z", options: [])
        ascii = Self.repeatedClass(regex).flatMap { (bracket, allowsEmpty) in
            guard let one = try? NSRegularExpression(pattern: "\\A(?:\(bracket))\\z", options: []) else { return nil }
            let admits = (0..<128).map { byte in
                let text = String(UnicodeScalar(UInt8(byte)))
                return one.firstMatch(in: text, options: [], range: NSRange(location: 0, length: text.utf16.count)) != nil
            }
            return (admits, allowsEmpty)
        }
    }

    /// False when the regex did not compile (then `matches` accepts everything); a test checks every
    /// generated pattern.
    public var compiled: Bool { regex != nil }

    /// True when all-ASCII values are matched by table (tests use it to prove the fast path is taken).
    var hasASCIITable: Bool { ascii != nil }

    public func matches(_ value: String) -> Bool {
        guard let regex else { return true }
        if let ascii, let verdict = Self.matchASCII(value, ascii.admits, allowsEmpty: ascii.allowsEmpty) {
            return verdict
        }
        return Self.regexMatches(regex, value)
    }

    /// ICU's verdict alone (tests compare it with the table's).
    func regexMatches(_ value: String) -> Bool {
        regex.map { Self.regexMatches($0, value) } ?? true
    }

    private static func regexMatches(_ regex: NSRegularExpression, _ value: String) -> Bool {
        let range = NSRange(value.startIndex..<value.endIndex, in: value)
        return regex.firstMatch(in: value, options: [], range: range) != nil
    }

    /// The verdict for an all-ASCII `value`, or nil when it has other characters.
    private static func matchASCII(_ value: String, _ admits: [Bool], allowsEmpty: Bool) -> Bool? {
        var all = true
        for byte in value.utf8 {
            guard byte < 0x80 else { return nil }
            if !admits[Int(byte)] { all = false }
        }
        return all && (allowsEmpty || !value.utf8.isEmpty)
    }

    /// `(bracket, allowsEmpty)` when `regex` is one bracket expression followed by `+` or `*` (optionally between
    /// `^` and `$`, which mean nothing more inside `\A...\z`), else nil.
    static func repeatedClass(_ regex: String) -> (String, Bool)? {
        var text = Substring(regex)
        if text.hasPrefix("^") && text.hasSuffix("$") && !text.hasSuffix("\\$") {
            text = text.dropFirst().dropLast()
        }
        guard let quantifier = text.last, quantifier == "+" || quantifier == "*" else { return nil }
        let bracket = text.dropLast()
        guard bracket.first == "[" else { return nil }
        // The bracket that opens at the start must close exactly at the end: count nesting, skip escapes.
        var depth = 0
        var escaped = false
        for (offset, c) in bracket.enumerated() {
            if escaped { escaped = false; continue }
            if c == "\\" { escaped = true; continue }
            if c == "[" { depth += 1 }
            if c == "]" {
                depth -= 1
                if depth == 0 { return offset == bracket.count - 1 ? (String(bracket), quantifier == "*") : nil }
            }
        }
        return nil
    }
}

/// A botocore shape as a Swift value: decoded from JSON once the request has passed validation, and encoded
/// back for responses and for the store.
public protocol Shape: Sendable {
    static var schema: Schema { get }
    /// Decodes a value that already passed `schema` validation, or stored data; a type mismatch throws
    /// `SerializationException`.
    init(json: JSON) throws(AWSError)
    func toJSON() -> JSON
}

/// The input or output of an operation that has no members in the model.
public struct EmptyShape: Shape, Equatable {
    public static let schema = Schema("Empty", .structure([]))
    public init() {}
    public init(json: JSON) throws(AWSError) {}
    public func toJSON() -> JSON { .object([:]) }
}
