import Foundation

/// Validation of a request body against an operation's input `Schema`, before it is decoded, with the
/// behaviour and wording of AWS's JSON 1.1 front end:
///
/// - A value of the wrong JSON type anywhere is a `SerializationException` (`STRING_VALUE can not be
///   converted to an Integer`, `Start of list found where not expected`, ...), and wins over everything else.
/// - Broken model constraints are collected, in member order, into one `InvalidParameterException`:
///   `2 validation errors detected: Value 'x' at 'a' failed to satisfy constraint: Member must ...; Value null
///   at 'b' failed to satisfy constraint: Member must not be null`.
/// - `null` counts as absent; `null` list items and map values are dropped; a fractional number given for an
///   integer is truncated; unknown members are ignored.
/// - The value is left out (`Value at 'password' ...`) for `sensitive` shapes, as AWS does; `null` is still
///   shown (`Value null at 'clientId'`, as reported for the sensitive ClientId).
/// - Paths are member names with the first letter lower-cased, joined with `.`; list items are
///   `<list>.<n>.member` (from 1) and map values `<map>.<key>.member`, e.g. `userAttributes.1.member.name`.
/// - A list or map of scalars reports once for the collection, listing every constraint of the item shape:
///   `Value '[BAD]' at 'explicitAuthFlows' failed to satisfy constraint: Member must satisfy constraint:
///   [Member must satisfy enum value set: [...]]`; `Map keys must satisfy constraint: [...]` and
///   `Map value must satisfy constraint: [...]` likewise.
/// - String lengths count UTF-16 code units (Java's `String.length()`).
extension Schema {
    /// AWS lists at most this many validation errors in one message (as DynamoDB does).
    static let maxReportedErrors = 10

    /// Validates a request body; `nil` (no body) and `null` count as an empty object.
    public func validate(_ json: JSON?) throws(AWSError) {
        let errors = try validationErrors(json)
        guard !errors.isEmpty else { return }
        let count = errors.count == 1 ? "1 validation error detected: " : "\(errors.count) validation errors detected: "
        throw AWSError(.invalidParameter, count + errors.joined(separator: "; "))
    }

    /// The constraint messages for a body, without the count prefix; throws only `SerializationException`.
    func validationErrors(_ json: JSON?) throws(AWSError) -> [String] {
        var body = json ?? .object([:])
        if case .null = body { body = .object([:]) }
        switch body {
        case .object: break
        case .array: throw AWSError(.serialization, "Start of list found where not expected")
        default: throw AWSError(.serialization, "Expected null")
        }
        var validator = SchemaValidator()
        try validator.check(body, self, path: "", hidden: sensitive)
        return validator.errors
    }
}

/// What a JSON value was expected to be, for `SerializationException` wording.
enum JSONTarget: Sendable {
    case string, integer, long, boolean, double, timestamp, blob, list, map, structure

    init(_ kind: Schema.Kind) {
        switch kind {
        case .string: self = .string
        case .integer: self = .integer
        case .long: self = .long
        case .boolean: self = .boolean
        case .double: self = .double
        case .timestamp: self = .timestamp
        case .blob: self = .blob
        case .list: self = .list
        case .map: self = .map
        case .structure: self = .structure
        }
    }

    /// The Java type name in AWS's messages (its grammar included: "an Boolean").
    var javaName: String {
        switch self {
        case .string: return "a String"
        case .integer: return "an Integer"
        case .long: return "a Long"
        case .boolean: return "an Boolean"
        case .double: return "a Double"
        case .timestamp: return "a Date"
        case .blob: return "a Blob"
        case .list: return "a List"
        case .map: return "a Map"
        case .structure: return "a Structure"
        }
    }
}

extension AWSError {
    /// The `SerializationException` AWS's JSON front end answers when `json` is not of the expected type.
    static func cannotConvert(_ json: JSON, to target: JSONTarget) -> AWSError {
        let message: String
        switch json {
        case .array:
            message = "Start of list found where not expected"
        case .object:
            message = "Start of structure or map found where not expected."
        default:
            switch target {
            case .list: message = "Expected list or null"
            case .map: message = "Expected map or null"
            case .structure: message = "Expected null"
            default: message = "\(json.serializationTypeName) can not be converted to \(target.javaName)"
            }
        }
        return AWSError(.serialization, message)
    }
}

extension JSON {
    /// The token name AWS's JSON reader uses in conversion messages.
    var serializationTypeName: String {
        switch self {
        case .bool(let b): return b ? "TRUE_VALUE" : "FALSE_VALUE"
        case .int, .double: return "NUMBER_VALUE"
        case .string: return "STRING_VALUE"
        case .null: return "NULL_VALUE"
        case .array: return "START_ARRAY"
        case .object: return "START_OBJECT"
        }
    }

    var isNull: Bool {
        if case .null = self { return true }
        return false
    }
}

extension Schema {
    /// True for shapes whose items a collection reports at the collection level.
    var isScalar: Bool {
        switch kind {
        case .list, .map, .structure: return false
        default: return true
        }
    }

    /// Every constraint this scalar shape carries, worded as AWS lists them inside a collection's
    /// `Member must satisfy constraint: [...]`: maximum, minimum, pattern, enum.
    var constraintDescriptions: [String] {
        var out: [String] = []
        switch kind {
        case .integer, .long, .double:
            if let max { out.append("Member must have value less than or equal to \(formatLimit(max))") }
            if let min { out.append("Member must have value greater than or equal to \(formatLimit(min))") }
        default:
            if let max { out.append("Member must have length less than or equal to \(formatLimit(max))") }
            if let min { out.append("Member must have length greater than or equal to \(formatLimit(min))") }
        }
        if let pattern { out.append("Member must satisfy regular expression pattern: \(pattern.source)") }
        if let enumValues { out.append(Schema.enumDescription(enumValues)) }
        return out
    }

    static func enumDescription(_ values: [String]) -> String {
        "Member must satisfy enum value set: [\(values.joined(separator: ", "))]"
    }

    func formatLimit(_ value: Double) -> String {
        if case .double = kind { return javaDouble(value) }
        if value == value.rounded(), abs(value) < 1e18 { return String(Int(value)) }
        return javaDouble(value)
    }
}

/// Java's `Double.toString` for the values the model and requests use: `1.0`, `0.5`, `1.0E10`.
func javaDouble(_ d: Double) -> String {
    guard d.isFinite else { return d.isNaN ? "NaN" : (d < 0 ? "-Infinity" : "Infinity") }
    if d == d.rounded(), abs(d) < 1e7 { return "\(Int(d)).0" }
    let text = "\(d)"
    return text.replacingOccurrences(of: "e+", with: "E").replacingOccurrences(of: "e", with: "E")
}

/// `UserPoolId` → `userPoolId`: how AWS names members in validation paths.
func lowerFirst(_ name: String) -> String {
    guard let first = name.first else { return name }
    return first.lowercased() + name.dropFirst()
}

/// One walk over a body; collects constraint messages and throws on the first type mismatch.
struct SchemaValidator {
    private(set) var errors: [String] = []

    mutating func report(_ value: JSON?, _ schema: Schema, path: String, hidden: Bool, _ constraint: String) {
        guard errors.count < Schema.maxReportedErrors else { return }
        let shown: String
        if let value {
            shown = hidden ? "Value" : "Value '\(render(value, schema))'"
        } else {
            shown = "Value null"
        }
        errors.append("\(shown) at '\(path)' failed to satisfy constraint: \(constraint)")
    }

    mutating func check(_ value: JSON, _ schema: Schema, path: String, hidden: Bool) throws(AWSError) {
        switch schema.kind {
        case .structure(let members):
            guard case .object(let object) = value else { throw AWSError.cannotConvert(value, to: .structure) }
            for member in members {
                let memberPath = path.isEmpty ? lowerFirst(member.name) : path + "." + lowerFirst(member.name)
                guard let item = object[member.name], !item.isNull else {
                    if member.required {
                        report(nil, member.schema, path: memberPath, hidden: false, "Member must not be null")
                    }
                    continue
                }
                try check(item, member.schema, path: memberPath, hidden: hidden || member.schema.sensitive)
            }

        case .list(let element):
            guard case .array(let raw) = value else { throw AWSError.cannotConvert(value, to: .list) }
            let items = raw.filter { !$0.isNull }
            for constraint in lengthViolations(items.count, schema) {
                report(.array(items), schema, path: path, hidden: hidden, constraint)
            }
            if element.isScalar {
                var broken = false
                for item in items {
                    // Every item is still type-checked, so a later mismatch is not hidden by an earlier failure.
                    if try !scalarViolations(item, element).isEmpty { broken = true }
                }
                if broken {
                    let inner = element.constraintDescriptions.joined(separator: ", ")
                    report(.array(items), schema, path: path, hidden: hidden || element.sensitive,
                           "Member must satisfy constraint: [\(inner)]")
                }
            } else {
                for (index, item) in items.enumerated() {
                    try check(item, element, path: "\(path).\(index + 1).member", hidden: hidden || element.sensitive)
                }
            }

        case .map(let keySchema, let valueSchema):
            guard case .object(let object) = value else { throw AWSError.cannotConvert(value, to: .map) }
            let entries = object.filter { !$0.value.isNull }.sorted { $0.key < $1.key }
            let present = JSON.object(Dictionary(uniqueKeysWithValues: entries.map { ($0.key, $0.value) }))
            for constraint in lengthViolations(entries.count, schema) {
                report(present, schema, path: path, hidden: hidden, constraint)
            }
            var badKey = false
            for entry in entries {
                if try !scalarViolations(.string(entry.key), keySchema).isEmpty { badKey = true }
            }
            if badKey {
                let inner = keySchema.constraintDescriptions.joined(separator: ", ")
                report(present, schema, path: path, hidden: hidden || keySchema.sensitive,
                       "Map keys must satisfy constraint: [\(inner)]")
            }
            if valueSchema.isScalar {
                var badValue = false
                for entry in entries {
                    if try !scalarViolations(entry.value, valueSchema).isEmpty { badValue = true }
                }
                if badValue {
                    let inner = valueSchema.constraintDescriptions.joined(separator: ", ")
                    report(present, schema, path: path, hidden: hidden || valueSchema.sensitive,
                           "Map value must satisfy constraint: [\(inner)]")
                }
            } else {
                for entry in entries {
                    try check(entry.value, valueSchema, path: "\(path).\(entry.key).member",
                              hidden: hidden || valueSchema.sensitive)
                }
            }

        default:
            for constraint in try scalarViolations(value, schema) {
                report(value, schema, path: path, hidden: hidden, constraint)
            }
        }
    }

    /// The constraints a scalar value breaks (empty when it is valid); throws on a type mismatch.
    func scalarViolations(_ value: JSON, _ schema: Schema) throws(AWSError) -> [String] {
        switch schema.kind {
        case .string:
            guard case .string(let s) = value else { throw AWSError.cannotConvert(value, to: .string) }
            var out = lengthViolations(s.utf16.count, schema)
            // A value over its maximum length is refused for that alone: no regular expression runs on what the model
            // never allows (a backtracking one costs more the longer the text).
            let tooLong = schema.max.map { Double(s.utf16.count) > $0 } ?? false
            if !tooLong, let pattern = schema.pattern, !pattern.matches(s) {
                out.append("Member must satisfy regular expression pattern: \(pattern.source)")
            }
            if let values = schema.enumValues, !values.contains(s) {
                out.append(Schema.enumDescription(values))
            }
            return out
        case .integer, .long:
            let n = try SchemaValidator.integer(value, schema.kind)
            return rangeViolations(Double(n), schema)
        case .double:
            switch value {
            case .int(let n): return rangeViolations(Double(n), schema)
            case .double(let d): return rangeViolations(d, schema)
            default: throw AWSError.cannotConvert(value, to: .double)
            }
        case .boolean:
            guard case .bool = value else { throw AWSError.cannotConvert(value, to: .boolean) }
            return []
        case .timestamp:
            switch value {
            case .int, .double: return []
            default: throw AWSError.cannotConvert(value, to: .timestamp)
            }
        case .blob:
            guard case .string(let s) = value else { throw AWSError.cannotConvert(value, to: .blob) }
            guard let data = Data(base64Encoded: s) else {
                throw AWSError(.serialization, "'\(s.prefix(64))' can not be converted to a Blob")
            }
            return lengthViolations(data.count, schema)
        case .list, .map, .structure:
            return []
        }
    }

    /// An integer member's value: whole numbers as given, fractions truncated (as AWS does), anything
    /// else or out of range a `SerializationException`.
    static func integer(_ value: JSON, _ kind: Schema.Kind) throws(AWSError) -> Int {
        let target: JSONTarget = if case .long = kind { .long } else { .integer }
        let n: Int
        switch value {
        case .int(let i): n = i
        case .double(let d):
            guard d.isFinite, let i = Int(exactly: d.rounded(.towardZero)) else {
                throw AWSError.cannotConvert(value, to: target)
            }
            n = i
        default:
            throw AWSError.cannotConvert(value, to: target)
        }
        if target == .integer, n < Int(Int32.min) || n > Int(Int32.max) {
            throw AWSError.cannotConvert(value, to: target)
        }
        return n
    }

    func lengthViolations(_ length: Int, _ schema: Schema) -> [String] {
        var out: [String] = []
        if let min = schema.min, Double(length) < min {
            out.append("Member must have length greater than or equal to \(schema.formatLimit(min))")
        }
        if let max = schema.max, Double(length) > max {
            out.append("Member must have length less than or equal to \(schema.formatLimit(max))")
        }
        return out
    }

    func rangeViolations(_ value: Double, _ schema: Schema) -> [String] {
        var out: [String] = []
        if let min = schema.min, value < min {
            out.append("Member must have value greater than or equal to \(schema.formatLimit(min))")
        }
        if let max = schema.max, value > max {
            out.append("Member must have value less than or equal to \(schema.formatLimit(max))")
        }
        return out
    }

    /// A readable rendering of a value, in the style of Java's `toString` (`[a, b]`, `{k=v}`); values of
    /// sensitive shapes inside it are redacted.
    func render(_ value: JSON, _ schema: Schema?) -> String {
        if let schema, schema.sensitive { return "*** Sensitive Data Redacted ***" }
        switch value {
        case .null: return "null"
        case .bool(let b): return b ? "true" : "false"
        case .int(let n):
            return String(n)
        case .double(let d):
            if let schema, case .integer = schema.kind, let n = Int(exactly: d.rounded(.towardZero)) { return String(n) }
            if let schema, case .long = schema.kind, let n = Int(exactly: d.rounded(.towardZero)) { return String(n) }
            return javaDouble(d)
        case .string(let s): return s
        case .array(let items):
            var element: Schema?
            if let schema, case .list(let e) = schema.kind { element = e }
            return "[" + items.map { render($0, element) }.joined(separator: ", ") + "]"
        case .object(let members):
            var valueSchema: Schema?
            var memberSchemas: [String: Schema] = [:]
            if let schema {
                switch schema.kind {
                case .map(_, let v): valueSchema = v
                case .structure(let ms): for m in ms { memberSchemas[m.name] = m.schema }
                default: break
                }
            }
            let parts = members.sorted { $0.key < $1.key }.map { entry in
                "\(entry.key)=\(render(entry.value, valueSchema ?? memberSchemas[entry.key]))"
            }
            return "{" + parts.joined(separator: ", ") + "}"
        }
    }
}
