import Foundation

/// The seed's query form (`GET /?Action=<Op>&Name=value...`, or the same form-encoded in a POST body),
/// mapped to the JSON object the JSON 1.1 protocol would carry for the same call, so both protocols share
/// one validation and decoding path. The operation's input `Schema` says what each parameter is:
///
/// - scalars by name (`ClientId=abc`), converted to the member's type (`Limit=10` → 10, `GenerateSecret=true`);
/// - lists as AWS query lists (`ExplicitAuthFlows.member.1=...`, or `ExplicitAuthFlows.1=...`), ordered by
///   index; as a JSON array string (`ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH"]`); as plain values, one
///   item each (`ExplicitAuthFlows=ALLOW_USER_SRP_AUTH`); an empty value is an empty list, as AWS's query
///   serializers send one;
/// - lists of structures as `UserAttributes.member.1.Name=email&UserAttributes.member.1.Value=...`, or a JSON
///   array string;
/// - structures as `Parent.Child=value` or a JSON object string (or both: the dotted members win);
/// - maps as `Name.entry.1.key=k&Name.entry.1.value=v`, `Name.k=v`, or a JSON object string.
///
/// `Action`, `Version` and SigV4 presign parameters (`X-Amz-*`) are not members; unknown parameters are
/// ignored; names are case-sensitive, as in AWS's query protocol.
public enum QueryForm {
    /// Splits `a=1&b=2` into pairs, percent-decoding names and values and reading `+` as a space. A malformed
    /// escape is kept as written; invalid UTF-8 becomes U+FFFD.
    public static func parse(_ raw: String) -> [(String, String)] {
        rawPairs(raw).compactMap { pair in
            let name = decode(pair.name[...])
            return name.isEmpty ? nil : (name, decode(pair.value[...]))
        }
    }

    /// The pairs of `a=1&b=2` as sent, split on the bytes `&` and the first `=`. The one splitting rule for the
    /// operation's parameters and for the SigV4 signature over them (`QueryPair`): split on anything else (Swift's
    /// `Character`s join `&` with a combining mark after it), a pair could be read by the operation and not signed.
    static func rawPairs(_ raw: String) -> [(name: [UInt8], value: [UInt8])] {
        Array(raw.utf8).split(separator: UInt8(ascii: "&"), omittingEmptySubsequences: true).map { piece in
            guard let eq = piece.firstIndex(of: UInt8(ascii: "=")) else { return (Array(piece), []) }
            return (Array(piece[piece.startIndex..<eq]), Array(piece[(eq + 1)...]))
        }
    }

    static func decode(_ bytes: ArraySlice<UInt8>) -> String {
        String(decoding: decodedBytes(bytes), as: UTF8.self)
    }

    /// `+` as a space and `%XX` as its byte (a `%` not followed by two hex digits stays as it is): the one decoding
    /// of query names and values, for the operation's parameters and for SigV4's canonical query alike.
    static func decodedBytes(_ bytes: ArraySlice<UInt8>) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var i = bytes.startIndex
        while i < bytes.endIndex {
            let b = bytes[i]
            if b == UInt8(ascii: "+") {
                out.append(0x20)
            } else if b == UInt8(ascii: "%"), i + 2 < bytes.endIndex, let hi = hex(bytes[i + 1]),
                let lo = hex(bytes[i + 2])
            {
                out.append(hi << 4 | lo)
                i += 3
                continue
            } else {
                out.append(b)
            }
            i += 1
        }
        return out
    }

    static func hex(_ b: UInt8) -> UInt8? {
        switch b {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return b - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return b - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return b - UInt8(ascii: "A") + 10
        default: return nil
        }
    }

    /// True for parameters that belong to the protocol rather than to the operation's input.
    static func isProtocolParameter(_ name: String) -> Bool {
        name == "Action" || name == "Version" || name.hasPrefix("X-Amz-")
    }

    /// The JSON object the JSON protocol would carry for these parameters. Throws `SerializationException`
    /// for a value that cannot be the member's type (`Limit=ten`) or a malformed JSON string.
    public static func json(from params: [(String, String)], schema: Schema) throws(AWSError) -> JSON {
        var entries: [Entry] = []
        entries.reserveCapacity(params.count)
        for (name, value) in params where !isProtocolParameter(name) {
            let path = name.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
            entries.append(Entry(path: path[...], value: value))
        }
        return try build(entries, schema, name: "") ?? .object([:])
    }

    /// A parameter below the node being built: the rest of its dotted name, and its value.
    struct Entry {
        var path: ArraySlice<String>
        var value: String
    }

    static func build(_ entries: [Entry], _ schema: Schema, name: String) throws(AWSError) -> JSON? {
        let direct = entries.filter { $0.path.isEmpty }.map(\.value)
        let nested = entries.filter { !$0.path.isEmpty }
        switch schema.kind {
        case .structure(let members):
            var object: [String: JSON] = [:]
            if let text = direct.first {
                guard case .object(let parsed) = try parseJSON(text, name: name, expecting: "a JSON object") else {
                    throw AWSError(.serialization, "Parameter \(name) must be a JSON object or given by member")
                }
                object = parsed
            }
            var groups: [String: [Entry]] = [:]
            for entry in nested {
                guard let first = entry.path.first else { continue }
                groups[first, default: []].append(Entry(path: entry.path.dropFirst(), value: entry.value))
            }
            for member in members {
                guard let group = groups[member.name] else { continue }
                let memberName = name.isEmpty ? member.name : name + "." + member.name
                if let value = try build(group, member.schema, name: memberName) { object[member.name] = value }
            }
            if name.isEmpty || !object.isEmpty || !direct.isEmpty { return .object(object) }
            return nil

        case .list(let element):
            var indexed: [Int: [Entry]] = [:]
            for entry in nested {
                var rest = entry.path
                if rest.first == "member" { rest = rest.dropFirst() }
                guard let first = rest.first, let index = Int(first), index >= 1 else { continue }
                indexed[index, default: []].append(Entry(path: rest.dropFirst(), value: entry.value))
            }
            if !indexed.isEmpty {
                var items: [JSON] = []
                for index in indexed.keys.sorted() {
                    if let item = try build(indexed[index] ?? [], element, name: "\(name).member.\(index)") {
                        items.append(item)
                    }
                }
                return .array(items)
            }
            guard !direct.isEmpty else { return nil }
            if direct.count == 1 {
                let text = direct[0]
                if text.isEmpty { return .array([]) }
                if text.first(where: { !$0.isWhitespace }) == "[" {
                    if case .array(let items) = try? JSON.parse(text) { return .array(items) }
                    if !element.isScalar {
                        throw AWSError(.serialization, "Parameter \(name) is not a valid JSON array")
                    }
                }
            }
            var items: [JSON] = []
            for text in direct {
                if let item = try build([Entry(path: [], value: text)], element, name: name) { items.append(item) }
            }
            return .array(items)

        case .map(_, let valueSchema):
            var object: [String: JSON] = [:]
            if let text = direct.first, !text.isEmpty {
                guard case .object(let parsed) = try parseJSON(text, name: name, expecting: "a JSON object") else {
                    throw AWSError(.serialization, "Parameter \(name) must be a JSON object or given by entry")
                }
                object = parsed
            }
            var numbered: [Int: [Entry]] = [:]
            var named: [String: [Entry]] = [:]
            for entry in nested {
                let path = entry.path
                if path.first == "entry", path.count >= 3, let index = Int(path[path.startIndex + 1]), index >= 1 {
                    numbered[index, default: []].append(Entry(path: path.dropFirst(2), value: entry.value))
                } else {
                    named[path.joined(separator: "."), default: []].append(Entry(path: [], value: entry.value))
                }
            }
            for index in numbered.keys.sorted() {
                let group = numbered[index] ?? []
                guard let key = group.first(where: { $0.path.count == 1 && $0.path.first == "key" })?.value else {
                    continue
                }
                let values = group.compactMap { e -> Entry? in
                    guard e.path.first == "value" else { return nil }
                    return Entry(path: e.path.dropFirst(), value: e.value)
                }
                if let value = try build(values, valueSchema, name: "\(name).entry.\(index).value") {
                    object[key] = value
                }
            }
            for (key, group) in named {
                if let value = try build(group, valueSchema, name: "\(name).\(key)") { object[key] = value }
            }
            if !object.isEmpty || !direct.isEmpty { return .object(object) }
            return nil

        default:
            guard let text = direct.first else { return nil }
            return try scalar(text, schema)
        }
    }

    static func parseJSON(_ text: String, name: String, expecting: String) throws(AWSError) -> JSON {
        do {
            return try JSON.parse(text)
        } catch {
            throw AWSError(.serialization, "Parameter \(name) must be \(expecting): \(error.message)")
        }
    }

    /// A scalar parameter converted to the member's JSON type.
    static func scalar(_ text: String, _ schema: Schema) throws(AWSError) -> JSON {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        switch schema.kind {
        case .integer, .long:
            if let n = Int(trimmed) { return .int(n) }
            if let d = Double(trimmed), d.isFinite { return .double(d) }
            throw AWSError.cannotConvert(.string(text), to: JSONTarget(schema.kind))
        case .double:
            if let d = Double(trimmed), d.isFinite { return .double(d) }
            throw AWSError.cannotConvert(.string(text), to: .double)
        case .boolean:
            switch trimmed.lowercased() {
            case "true": return .bool(true)
            case "false": return .bool(false)
            default: throw AWSError.cannotConvert(.string(text), to: .boolean)
            }
        case .timestamp:
            if let d = Double(trimmed), d.isFinite { return .double(d) }
            if let date = parseISO8601(trimmed) { return .double(date.timeIntervalSince1970) }
            throw AWSError.cannotConvert(.string(text), to: .timestamp)
        default:
            return .string(text)
        }
    }

    static func parseISO8601(_ text: String) -> Date? {
        let plain = ISO8601DateFormatter()
        if let date = plain.date(from: text) { return date }
        let fractional = ISO8601DateFormatter()
        fractional.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return fractional.date(from: text)
    }
}
