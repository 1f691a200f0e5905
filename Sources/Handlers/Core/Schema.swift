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
    /// For a pattern that is a short sequence of character classes and literal characters, each once or repeated
    /// (`[...]+`, `[...]*`: the form of the id and token patterns, and of `[\w-]+_[0-9a-zA-Z]+`, a pool id): which
    /// ASCII bytes each admits, asked of ICU itself once per byte. An all-ASCII value is then matched by table,
    /// without ICU (a regex match costs microseconds on every request); any other value still goes to the regex.
    private let ascii: [Atom]?

    /// One step of a tabled pattern: a class (or a literal character) matched once, or repeated at least `min` times.
    struct Atom {
        let admits: [Bool]
        let repeats: Bool
        let min: Int
    }

    /// At most this many repeated steps are tabled (matching backtracks over them), and values longer than
    /// `tabledLength` with more than one repeated step go to ICU.
    static let maxRepeatedAtoms = 3
    static let tabledLength = 4096

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
        ascii = Self.steps(regex).flatMap { steps in
            var atoms: [Atom] = []
            for (text, quantifier) in steps {
                guard let one = try? NSRegularExpression(pattern: "\\A(?:\(text))\\z", options: []) else { return nil }
                let admits = (0..<128).map { byte in
                    let text = String(UnicodeScalar(UInt8(byte)))
                    let whole = NSRange(location: 0, length: text.utf16.count)
                    return one.firstMatch(in: text, options: [], range: whole) != nil
                }
                atoms.append(Atom(admits: admits, repeats: quantifier != nil, min: quantifier == "*" ? 0 : 1))
            }
            return atoms
        }
    }

    /// False when the regex did not compile (then `matches` accepts everything); a test checks every
    /// generated pattern.
    public var compiled: Bool { regex != nil }

    /// True when all-ASCII values are matched by table (tests use it to prove the fast path is taken).
    var hasASCIITable: Bool { ascii != nil }

    /// How many steps the table matches (tests pick the patterns of several).
    var tabledSteps: Int { ascii?.count ?? 0 }

    public func matches(_ value: String) -> Bool {
        guard let regex else { return true }
        if let ascii, let verdict = Self.matchASCII(value, ascii) {
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

    /// The verdict for an all-ASCII `value`, or nil when it has other characters (or is too long to backtrack over).
    private static func matchASCII(_ value: String, _ atoms: [Atom]) -> Bool? {
        func verdict(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool? {
            for byte in bytes where byte >= 0x80 { return nil }
            if atoms.count > 1, bytes.count > tabledLength { return nil }
            return match(bytes, from: 0, atoms[...])
        }
        if let answer = value.utf8.withContiguousStorageIfAvailable(verdict) { return answer }
        var copy = value  // a bridged string: made contiguous once
        copy.makeContiguousUTF8()
        return copy.utf8.withContiguousStorageIfAvailable(verdict) ?? nil
    }

    /// Whether `bytes[start...]` is matched by `atoms`: each repeated step takes as many bytes as it can, then gives
    /// them back one at a time until the rest matches (the regex's own greedy backtracking).
    private static func match(_ bytes: UnsafeBufferPointer<UInt8>, from start: Int, _ atoms: ArraySlice<Atom>) -> Bool {
        guard let atom = atoms.first else { return start == bytes.count }
        let rest = atoms.dropFirst()
        guard atom.repeats else {
            return start < bytes.count && atom.admits[Int(bytes[start])] && match(bytes, from: start + 1, rest)
        }
        var end = start
        while end < bytes.count, atom.admits[Int(bytes[end])] { end += 1 }
        if rest.isEmpty { return end == bytes.count && end - start >= atom.min }
        while end - start >= atom.min {
            if match(bytes, from: end, rest) { return true }
            end -= 1
        }
        return false
    }

    /// The steps of `regex` when it is a sequence of bracket expressions and plain characters (letters, digits,
    /// `_`, `-`, `:`, `@`, `/`, `,`, `=`), each optionally followed by `+` or `*`, with at most `maxRepeatedAtoms`
    /// repeated (optionally between `^` and `$`, which mean nothing more inside `\A...\z`); else nil.
    static func steps(_ regex: String) -> [(String, Character?)]? {
        var text = Substring(regex)
        if text.hasPrefix("^") && text.hasSuffix("$") && !text.hasSuffix("\\$") {
            text = text.dropFirst().dropLast()
        }
        var steps: [(String, Character?)] = []
        while let first = text.first {
            var step: Substring
            if first == "[" {
                // The bracket that opens here: count nesting, skip escapes, up to the `]` that closes it.
                var depth = 0
                var escaped = false
                var close: String.Index?
                for index in text.indices {
                    let c = text[index]
                    if escaped { escaped = false; continue }
                    if c == "\\" { escaped = true; continue }
                    if c == "[" { depth += 1 }
                    if c == "]" {
                        depth -= 1
                        if depth == 0 { close = index; break }
                    }
                }
                guard let close else { return nil }
                step = text[...close]
            } else if first.isASCII, first.isLetter || first.isNumber || "_-:@/,=".contains(first) {
                step = text.prefix(1)
            } else {
                return nil
            }
            text = text[step.endIndex...]
            var quantifier: Character?
            if let q = text.first, q == "+" || q == "*" {
                quantifier = q
                text = text.dropFirst()
            }
            steps.append((String(step), quantifier))
        }
        guard !steps.isEmpty, steps.filter({ $0.1 != nil }).count <= maxRepeatedAtoms else { return nil }
        return steps
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
