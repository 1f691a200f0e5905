import Crypto
import Foundation

/// Verifies AWS Signature Version 4 on IAM operations: the `Authorization` header form (what SDKs send) and the
/// presigned query form (`X-Amz-Signature` in the URL), built exactly as botocore's `SigV4Auth` and
/// `SigV4QueryAuth` build them.
///
/// Any region in the credential scope is accepted (one deployment serves them all); the service must be ours.
/// In `.anySignature` mode only the shape is checked: a parseable signature with a valid scope, but no time
/// window, no key lookup and no signature comparison.
public struct SigV4Verifier: Sendable {
    public static let algorithm = "AWS4-HMAC-SHA256"
    /// How far a request's time may be from ours, either way.
    public static let allowedSkewSeconds = 15 * 60
    /// The longest `X-Amz-Expires` a presigned URL may ask for (seven days, as AWS allows).
    public static let maxPresignedExpiresSeconds = 604_800

    public let credentials: any CredentialsProvider
    public let mode: AuthMode
    public let service: String

    public init(credentials: any CredentialsProvider, mode: AuthMode, service: String = "cognito-idp") {
        self.credentials = credentials
        self.mode = mode
        self.service = service
    }

    /// Throws the AWS error a real endpoint would answer with, or returns when the request is authentic.
    public func verify(_ request: Request, now: Date) throws(AWSError) {
        let query = QueryPair.parse(request.query)
        let signed = try parse(request, query: query)
        try checkScope(signed)
        switch mode {
        case .anySignature: return
        case .sigv4: break
        }

        try checkTime(signed, now: UTCTime.seconds(now))
        guard let secret = try credentials.secretAccessKey(for: signed.accessKeyId) else {
            throw AWSError(.unrecognizedClient, "The security token included in the request is invalid.")
        }
        for name in signed.signedHeaders where request.headers[name] == nil {
            throw AWSError(
                .incompleteSignature, "'\(name)' is named as a SignedHeader, but it does not exist in the HTTP request."
            )
        }
        let payload = try payloadHash(request)
        let key = Self.signingKey(
            secret: secret, date: signed.scopeDate, region: signed.region, service: signed.service)
        let excluded: Set<String> = signed.form == .presigned ? ["X-Amz-Signature"] : []
        let provided = Array(signed.signature.utf8)
        for canonicalQuery in Self.canonicalQueryCandidates(query, excluding: excluded) {
            let canonical = Self.canonicalRequest(
                method: request.method, path: request.path, canonicalQuery: canonicalQuery,
                signedHeaders: signed.signedHeaders, headers: request.headers, payloadHash: payload)
            let expected = Self.signature(
                key: key, stringToSign: Self.stringToSign(signed, canonicalRequest: canonical))
            if Self.constantTimeEqual(Array(expected.utf8), provided) { return }
        }
        throw AWSError(
            .invalidSignature,
            "The request signature we calculated does not match the signature you provided. Check your AWS Secret "
                + "Access Key and signing method. Consult the service documentation for details.")
    }

    // MARK: The signature's parts

    enum Form: Equatable { case header, presigned }

    /// What the request claims: who signed it, for which scope and time, over which headers.
    struct SignedRequest {
        var form: Form
        var credential: String
        var accessKeyId: String
        var scopeDate: String
        var region: String
        var service: String
        var terminator: String
        var signedHeaders: [String]
        var signature: String
        /// `yyyyMMdd'T'HHmmss'Z'`, as it goes into the string to sign.
        var timestamp: String
        var time: Int
        /// Presigned only: X-Amz-Expires in seconds, when given.
        var expires: Int?
    }

    func parse(_ request: Request, query: [QueryPair]) throws(AWSError) -> SignedRequest {
        if let header = request.headers["authorization"], !header.allSatisfy(\.isWhitespace) {
            return try parseHeader(header, request: request)
        }
        if query.contains(where: { Self.presignParameters.contains($0.name) }) {
            return try parsePresigned(query)
        }
        throw AWSError(.missingAuthenticationToken, "Missing Authentication Token")
    }

    private func parseHeader(_ header: String, request: Request) throws(AWSError) -> SignedRequest {
        let trimmed = header.trimmingCharacters(in: .whitespaces)
        let algorithm: Substring
        let rest: Substring
        if let space = trimmed.firstIndex(where: \.isWhitespace) {
            algorithm = trimmed[..<space]
            rest = trimmed[space...]
        } else {
            algorithm = trimmed[...]
            rest = ""
        }
        var parameters: [String: String] = [:]
        for part in rest.split(separator: ",") {
            let item = part.trimmingCharacters(in: .whitespaces)
            if item.isEmpty { continue }
            guard let eq = item.firstIndex(of: "=") else {
                throw AWSError(
                    .incompleteSignature,
                    "'\(item)' not a valid key=value pair (missing equal-sign) in Authorization header: '\(header)'.")
            }
            let name = String(item[..<eq])
            if parameters[name] == nil { parameters[name] = String(item[item.index(after: eq)...]) }
        }
        let dateValue = request.headers["x-amz-date"] ?? request.headers["date"]
        var missing: [String] = []
        if parameters["Credential"] == nil { missing.append("Authorization header requires 'Credential' parameter.") }
        if parameters["Signature"] == nil { missing.append("Authorization header requires 'Signature' parameter.") }
        if parameters["SignedHeaders"] == nil {
            missing.append("Authorization header requires 'SignedHeaders' parameter.")
        }
        if dateValue == nil {
            missing.append("Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.")
        }
        if !missing.isEmpty {
            throw AWSError(.incompleteSignature, missing.joined(separator: " ") + " Authorization=\(header)")
        }
        guard algorithm == Self.algorithm else {
            throw AWSError(
                .incompleteSignature, "Unsupported AWS 'algorithm': '\(algorithm)'. Use '\(Self.algorithm)'.")
        }
        let time: Int
        if let amzDate = request.headers["x-amz-date"] {
            time = try Self.parseBasicTime(amzDate)
        } else {
            let date = dateValue ?? ""
            guard let parsed = UTCTime.parseHTTPDate(date) else {
                throw AWSError(
                    .incompleteSignature,
                    "Date header must be an RFC 1123 date, e.g. 'Sat, 28 Nov 2026 00:00:00 GMT'. Got '\(date)'.")
            }
            time = parsed
        }
        return try Self.assemble(
            form: .header, credential: parameters["Credential"] ?? "",
            signedHeaders: parameters["SignedHeaders"] ?? "", signature: parameters["Signature"] ?? "",
            time: time, expires: nil)
    }

    static let presignParameters: [String] = [
        "X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Signature", "X-Amz-Date", "X-Amz-SignedHeaders",
    ]

    private func parsePresigned(_ query: [QueryPair]) throws(AWSError) -> SignedRequest {
        func value(_ name: String) -> String? { query.first { $0.name == name }?.value }
        let missing = Self.presignParameters.filter { value($0) == nil }
        if !missing.isEmpty {
            throw AWSError(
                .incompleteSignature,
                "AWS query-string parameters must include " + missing.map { "'\($0)'" }.joined(separator: ", ")
                    + ". Re-examine the query-string parameters.")
        }
        guard value("X-Amz-Algorithm") == Self.algorithm else {
            throw AWSError(.incompleteSignature, "X-Amz-Algorithm only supports \"\(Self.algorithm)\"")
        }
        var expires: Int?
        if let text = value("X-Amz-Expires") {
            guard let seconds = Int(text) else {
                throw AWSError(.incompleteSignature, "X-Amz-Expires should be a number")
            }
            guard seconds >= 0 else { throw AWSError(.incompleteSignature, "X-Amz-Expires must be non-negative") }
            guard seconds <= Self.maxPresignedExpiresSeconds else {
                throw AWSError(
                    .incompleteSignature,
                    "X-Amz-Expires must be less than a week (in seconds) that is \(Self.maxPresignedExpiresSeconds)")
            }
            expires = seconds
        }
        return try Self.assemble(
            form: .presigned, credential: value("X-Amz-Credential") ?? "",
            signedHeaders: value("X-Amz-SignedHeaders") ?? "", signature: value("X-Amz-Signature") ?? "",
            time: try Self.parseBasicTime(value("X-Amz-Date") ?? ""), expires: expires)
    }

    private static func parseBasicTime(_ text: String) throws(AWSError) -> Int {
        guard let time = UTCTime.parseBasic(text) else {
            throw AWSError(
                .incompleteSignature,
                "Date must be in ISO-8601 'basic format'. Got '\(text)'. See http://en.wikipedia.org/wiki/ISO_8601")
        }
        return time
    }

    private static func assemble(
        form: Form, credential: String, signedHeaders: String, signature: String, time: Int, expires: Int?
    ) throws(AWSError) -> SignedRequest {
        let parts = credential.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 5, !parts.contains(where: \.isEmpty) else {
            throw AWSError(
                .incompleteSignature,
                "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got "
                    + "'\(credential)'")
        }
        let headers = signedHeaders.split(separator: ";", omittingEmptySubsequences: false).map { $0.lowercased() }
        guard headers.contains("host") else {
            throw AWSError(
                .incompleteSignature, "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.")
        }
        return SignedRequest(
            form: form, credential: credential, accessKeyId: parts[0], scopeDate: parts[1], region: parts[2],
            service: parts[3], terminator: parts[4], signedHeaders: headers, signature: signature,
            timestamp: UTCTime.basic(time), time: time, expires: expires)
    }

    func checkScope(_ signed: SignedRequest) throws(AWSError) {
        guard signed.terminator == "aws4_request" else {
            throw AWSError(
                .incompleteSignature,
                "Credential should be scoped with a valid terminator: 'aws4_request', not '\(signed.terminator)'.")
        }
        guard signed.service == service else {
            throw AWSError(.incompleteSignature, "Credential should be scoped to correct service: '\(service)'. ")
        }
        let day = String(signed.timestamp.prefix(8))
        guard signed.scopeDate == day else {
            throw AWSError(
                .incompleteSignature,
                "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: "
                    + "'\(signed.scopeDate)' != '\(day)', from '\(signed.timestamp)'.")
        }
    }

    func checkTime(_ signed: SignedRequest, now: Int) throws(AWSError) {
        let skew = Self.allowedSkewSeconds
        if signed.time > now + skew {
            throw AWSError(
                .invalidSignature,
                "Signature not yet current: \(signed.timestamp) is still later than \(UTCTime.basic(now + skew)) "
                    + "(\(UTCTime.basic(now)) + 15 min.)")
        }
        if let expires = signed.expires {
            if now > signed.time + expires {
                throw AWSError(
                    .invalidSignature,
                    "Signature expired: \(signed.timestamp) is now earlier than \(UTCTime.basic(now - expires)) "
                        + "(\(UTCTime.basic(now)) - \(expires) sec.)")
            }
        } else if signed.time < now - skew {
            throw AWSError(
                .invalidSignature,
                "Signature expired: \(signed.timestamp) is now earlier than \(UTCTime.basic(now - skew)) "
                    + "(\(UTCTime.basic(now)) - 15 min.)")
        }
    }

    /// The body's SHA-256, or what `X-Amz-Content-Sha256` says when it is `UNSIGNED-PAYLOAD` or the same hash
    /// (botocore puts the header's value into the canonical request as it is).
    private func payloadHash(_ request: Request) throws(AWSError) -> String {
        let computed = Self.sha256Hex(request.body)
        guard let claimed = request.headers["x-amz-content-sha256"] else { return computed }
        if claimed == "UNSIGNED-PAYLOAD" || claimed.lowercased() == computed { return claimed }
        throw AWSError(
            .invalidSignature, "The provided 'x-amz-content-sha256' header does not match what was computed.")
    }

    // MARK: Canonical request and signature (AWS's spec, as botocore implements it)

    static func canonicalRequest(
        method: String, path: String, canonicalQuery: String, signedHeaders: [String], headers: [String: String],
        payloadHash: String
    ) -> String {
        var lines: [String] = [method.uppercased(), canonicalURI(path), canonicalQuery]
        for name in signedHeaders {
            lines.append(name + ":" + trimAll(headers[name] ?? ""))
        }
        lines.append("")
        lines.append(signedHeaders.joined(separator: ";"))
        lines.append(payloadHash)
        return lines.joined(separator: "\n")
    }

    /// botocore: dot segments and empty segments removed, then every byte but unreserved and `/` encoded once
    /// (so a `%` already in the path is encoded again, as AWS expects for every service but S3).
    static func canonicalURI(_ path: String) -> String {
        if path.isEmpty { return "/" }
        var segments: [Substring] = []
        for segment in path.split(separator: "/", omittingEmptySubsequences: true) where segment != "." {
            if segment == ".." {
                if !segments.isEmpty { segments.removeLast() }
            } else {
                segments.append(segment)
            }
        }
        var normalized = path.hasPrefix("/") ? "/" : ""
        normalized += segments.joined(separator: "/")
        if path.hasSuffix("/") && !segments.isEmpty { normalized += "/" }
        return percentEncode(Array(normalized.utf8), keepSlash: true)
    }

    /// The canonical query strings this request may have been signed over. First AWS's own rule (each name and
    /// value decoded, `+` read as a space as form encoding has it, re-encoded per RFC 3986, sorted), which is what
    /// botocore signs when it builds the query from parameters. Then, only if different, what botocore signs when
    /// the query is already in the URL: the pairs exactly as sent, sorted; and the pairs decoded with `+` kept as
    /// a plus. Every candidate is a full commitment to the query sent, so accepting any of them is sound.
    static func canonicalQueryCandidates(_ pairs: [QueryPair], excluding: Set<String>) -> [String] {
        let kept = pairs.filter { !excluding.contains($0.name) }
        func join(_ encoded: [([UInt8], [UInt8])]) -> String {
            let sorted = encoded.sorted { a, b in
                a.0 == b.0 ? a.1.lexicographicallyPrecedes(b.1) : a.0.lexicographicallyPrecedes(b.0)
            }
            return sorted.map { String(decoding: $0.0, as: UTF8.self) + "=" + String(decoding: $0.1, as: UTF8.self) }
                .joined(separator: "&")
        }
        func reencoded(plusIsSpace: Bool) -> String {
            join(
                kept.map {
                    (
                        Array(
                            percentEncode(percentDecode($0.rawName, plusIsSpace: plusIsSpace), keepSlash: false).utf8),
                        Array(
                            percentEncode(percentDecode($0.rawValue, plusIsSpace: plusIsSpace), keepSlash: false).utf8)
                    )
                })
        }
        var candidates = [reencoded(plusIsSpace: true)]
        for other in [
            join(kept.map { (Array($0.rawName.utf8), Array($0.rawValue.utf8)) }), reencoded(plusIsSpace: false),
        ]
        where !candidates.contains(other) {
            candidates.append(other)
        }
        return candidates
    }

    static func stringToSign(_ signed: SignedRequest, canonicalRequest: String) -> String {
        [
            algorithm, signed.timestamp, "\(signed.scopeDate)/\(signed.region)/\(signed.service)/aws4_request",
            sha256Hex(Array(canonicalRequest.utf8)),
        ].joined(separator: "\n")
    }

    static func sha256Hex(_ bytes: [UInt8]) -> String { Hex.encode(SHA256.hash(data: bytes)) }

    static func signingKey(secret: String, date: String, region: String, service: String) -> SymmetricKey {
        var key = SymmetricKey(data: Array(("AWS4" + secret).utf8))
        for part in [date, region, service, "aws4_request"] {
            key = SymmetricKey(data: Array(HMAC<SHA256>.authenticationCode(for: Array(part.utf8), using: key)))
        }
        return key
    }

    static func signature(key: SymmetricKey, stringToSign: String) -> String {
        Hex.encode(HMAC<SHA256>.authenticationCode(for: Array(stringToSign.utf8), using: key))
    }

    static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var diff: UInt8 = 0
        for i in 0..<a.count { diff |= a[i] ^ b[i] }
        return diff == 0
    }

    /// Trimall: leading and trailing whitespace removed, inner runs collapsed to one space.
    static func trimAll(_ value: String) -> String {
        value.split(whereSeparator: { $0.isWhitespace }).joined(separator: " ")
    }

    static func percentEncode(_ bytes: [UInt8], keepSlash: Bool) -> String {
        let hex = Array("0123456789ABCDEF".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        for b in bytes {
            switch b {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."),
                UInt8(ascii: "~"):
                out.append(b)
            case UInt8(ascii: "/") where keepSlash:
                out.append(b)
            default:
                out.append(UInt8(ascii: "%"))
                out.append(hex[Int(b >> 4)])
                out.append(hex[Int(b & 0xF)])
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// `%XX` decoded (a `%` not followed by two hex digits stays as it is).
    static func percentDecode(_ text: String, plusIsSpace: Bool) -> [UInt8] {
        let bytes = Array(text.utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var i = 0
        while i < bytes.count {
            let b = bytes[i]
            if b == UInt8(ascii: "%"), i + 2 < bytes.count, let hi = hexValue(bytes[i + 1]),
                let lo = hexValue(bytes[i + 2])
            {
                out.append(hi << 4 | lo)
                i += 3
            } else {
                out.append(b == UInt8(ascii: "+") && plusIsSpace ? UInt8(ascii: " ") : b)
                i += 1
            }
        }
        return out
    }

    private static func hexValue(_ b: UInt8) -> UInt8? {
        switch b {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return b - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return b - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return b - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}

extension SigV4Verifier: RequestAuthenticator {
    public func authenticate(_ request: Request, now: Date) throws(AWSError) {
        try verify(request, now: now)
    }
}

/// One `name=value` of a raw query string, kept as sent and also decoded.
struct QueryPair {
    var rawName: String
    var rawValue: String
    /// Decoded (`+` as space); what the presign parameters are looked up by.
    var name: String
    var value: String

    static func parse(_ query: String) -> [QueryPair] {
        query.split(separator: "&", omittingEmptySubsequences: true).map { item in
            let rawName: Substring
            let rawValue: Substring
            if let eq = item.firstIndex(of: "=") {
                rawName = item[..<eq]
                rawValue = item[item.index(after: eq)...]
            } else {
                rawName = item
                rawValue = ""
            }
            return QueryPair(
                rawName: String(rawName), rawValue: String(rawValue),
                name: String(decoding: SigV4Verifier.percentDecode(String(rawName), plusIsSpace: true), as: UTF8.self),
                value: String(decoding: SigV4Verifier.percentDecode(String(rawValue), plusIsSpace: true), as: UTF8.self)
            )
        }
    }
}

/// UTC calendar arithmetic on whole seconds since 1970, without Foundation's formatters or `Date()`.
enum UTCTime {
    static func seconds(_ date: Date) -> Int { Int(date.timeIntervalSince1970.rounded(.down)) }

    /// `20261128T000000Z`
    static func basic(_ seconds: Int) -> String {
        let c = components(seconds)
        return pad(c.year, 4) + pad(c.month, 2) + pad(c.day, 2) + "T" + pad(c.hour, 2) + pad(c.minute, 2)
            + pad(c.second, 2) + "Z"
    }

    /// `2026-11-28T00:00:00Z`
    static func iso8601(_ seconds: Int) -> String {
        let c = components(seconds)
        return pad(c.year, 4) + "-" + pad(c.month, 2) + "-" + pad(c.day, 2) + "T" + pad(c.hour, 2) + ":"
            + pad(c.minute, 2) + ":" + pad(c.second, 2) + "Z"
    }

    /// Strict `yyyyMMdd'T'HHmmss'Z'`.
    static func parseBasic(_ text: String) -> Int? {
        let b = Array(text.utf8)
        guard b.count == 16, b[8] == UInt8(ascii: "T"), b[15] == UInt8(ascii: "Z"),
            let year = number(b[0..<4]), let month = number(b[4..<6]), let day = number(b[6..<8]),
            let hour = number(b[9..<11]), let minute = number(b[11..<13]), let second = number(b[13..<15])
        else { return nil }
        return make(year: year, month: month, day: day, hour: hour, minute: minute, second: second)
    }

    /// RFC 1123 (`Sat, 28 Nov 2026 00:00:00 GMT`; also `-0000`/`+hhmm` zones, as Python's `formatdate` writes).
    static func parseHTTPDate(_ text: String) -> Int? {
        var fields = text.split(separator: " ").map(String.init)
        if let first = fields.first, first.hasSuffix(",") { fields.removeFirst() }
        guard fields.count == 5, let day = Int(fields[0]), let year = Int(fields[2]),
            let month = months.firstIndex(of: fields[1].lowercased()).map({ $0 + 1 })
        else { return nil }
        let clock = fields[3].split(separator: ":", omittingEmptySubsequences: false)
        guard clock.count == 3, let hour = Int(clock[0]), let minute = Int(clock[1]), let second = Int(clock[2]),
            let base = make(year: year, month: month, day: day, hour: hour, minute: minute, second: second)
        else { return nil }
        let zone = fields[4]
        if ["GMT", "UT", "UTC", "Z"].contains(zone.uppercased()) { return base }
        let z = Array(zone.utf8)
        guard z.count == 5, z[0] == UInt8(ascii: "+") || z[0] == UInt8(ascii: "-"), let hh = number(z[1..<3]),
            let mm = number(z[3..<5]), hh < 24, mm < 60
        else { return nil }
        let offset = (hh * 60 + mm) * 60
        return z[0] == UInt8(ascii: "+") ? base - offset : base + offset
    }

    private static let months = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]

    private static func number(_ digits: ArraySlice<UInt8>) -> Int? {
        var n = 0
        for d in digits {
            guard d >= UInt8(ascii: "0"), d <= UInt8(ascii: "9") else { return nil }
            n = n * 10 + Int(d - UInt8(ascii: "0"))
        }
        return n
    }

    private static func make(year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int) -> Int? {
        guard (1...12).contains(month), day >= 1, day <= daysIn(month: month, year: year), (0...23).contains(hour),
            (0...59).contains(minute), (0...59).contains(second)
        else { return nil }
        return daysFromCivil(year, month, day) * 86_400 + hour * 3_600 + minute * 60 + second
    }

    private static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    // Howard Hinnant's days_from_civil / civil_from_days.
    private static func daysFromCivil(_ y0: Int, _ m: Int, _ d: Int) -> Int {
        let y = m <= 2 ? y0 - 1 : y0
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    private static func components(_ seconds: Int) -> (
        year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int
    ) {
        var days = seconds / 86_400
        var rest = seconds % 86_400
        if rest < 0 {
            rest += 86_400
            days -= 1
        }
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        let year = yoe + era * 400 + (month <= 2 ? 1 : 0)
        return (year, month, day, rest / 3_600, rest % 3_600 / 60, rest % 60)
    }

    private static func pad(_ n: Int, _ width: Int) -> String {
        let s = String(n)
        return s.count >= width ? s : String(repeating: "0", count: width - s.count) + s
    }
}
