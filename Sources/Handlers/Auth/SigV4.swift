import Crypto
import Foundation

/// Verifies AWS Signature Version 4 on IAM operations: the `Authorization` header form (what SDKs send) and the
/// presigned query form (`X-Amz-Signature` in the URL), built exactly as botocore's `SigV4Auth` and
/// `SigV4QueryAuth` build them.
///
/// Any region in the credential scope is accepted (one deployment serves them all); the service must be ours.
/// In `.anySignature` mode only the shape is checked: a parseable signature with a valid scope, but no time
/// window, no key lookup and no signature comparison.
///
/// The common case, an ASCII `Authorization` header as every SDK sends, is parsed and canonicalised on UTF-8 bytes,
/// and the signing key comes from `SigningKeyCache`: Foundation string operations and four HMACs per request were
/// most of the ~48 µs verification took.
public struct SigV4Verifier: Sendable {
    public static let algorithm = "AWS4-HMAC-SHA256"
    /// How far a request's time may be from ours, either way.
    public static let allowedSkewSeconds = 15 * 60
    /// The longest `X-Amz-Expires` a presigned URL may ask for (seven days, as S3 allows); larger is an error.
    public static let maxPresignedExpiresSeconds = 604_800
    /// How long a presigned URL is honoured at most, whatever its `X-Amz-Expires` asks: AWS's services other than S3
    /// honour presigned requests for 15 minutes (aws-sdk-go#2167, aws-iam-authenticator#160). A URL for this
    /// service can carry any IAM operation, so it is not a long-lived credential either.
    public static let presignedValiditySeconds = 15 * 60

    public let credentials: any CredentialsProvider
    public let mode: AuthMode
    public let service: String
    /// Where derived signing keys are kept between requests; the process-wide one unless a test gives its own.
    let signingKeys: SigningKeyCache

    public init(credentials: any CredentialsProvider, mode: AuthMode, service: String = "cognito-idp") {
        self.init(credentials: credentials, mode: mode, service: service, signingKeys: .shared)
    }

    init(credentials: any CredentialsProvider, mode: AuthMode, service: String, signingKeys: SigningKeyCache) {
        self.credentials = credentials
        self.mode = mode
        self.service = service
        self.signingKeys = signingKeys
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
        // The header that names the operation must be signed, or a captured request could be sent again as another
        // operation over the same body (every SDK signs it; awscurl, which signs only host and x-amz-date, does not).
        if request.headers["x-amz-target"] != nil && !signed.signedHeaders.contains("x-amz-target") {
            throw AWSError(
                .incompleteSignature,
                "'x-amz-target' is present in the HTTP request, but it is not named as a SignedHeader.")
        }
        let payload = try payloadHash(request)
        let scope = SigningKeyCache.Key(
            secret: secret, date: signed.scopeDate, region: signed.region, service: signed.service)
        let cached = signingKeys.signer(for: scope)
        let signer = cached ?? HMAC<SHA256>(key: Self.signingKey(scope))
        let excluded: Set<String> = signed.form == .presigned ? ["X-Amz-Signature"] : []
        let provided = Array(signed.signature.utf8)
        for canonicalQuery in Self.canonicalQueryCandidates(query, excluding: excluded) {
            let canonical = Self.canonicalRequestBytes(
                method: request.method, path: request.path, canonicalQuery: canonicalQuery,
                signedHeaders: signed.signedHeaders, headers: request.headers, payloadHash: payload)
            var mac = signer
            mac.update(data: Self.stringToSignBytes(signed, canonicalRequest: canonical))
            if Self.constantTimeEqual(Hex.encodedBytes(mac.finalize()), provided) {
                // Kept only once it has verified a request: forged requests (any region is accepted) cannot push
                // the deployment's real keys out.
                if cached == nil { signingKeys.remember(signer, for: scope) }
                return
            }
        }
        throw AWSError(
            .invalidSignature,
            "The request signature we calculated does not match the signature you provided. Check your AWS Secret "
                + "Access Key and signing method. Consult the service documentation for details.")
    }

    // MARK: The signature's parts

    enum Form: Equatable { case header, presigned }

    /// What the request claims: who signed it, for which scope and time, over which headers.
    struct SignedRequest: Equatable {
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
        try Self.refuseBothForms(request, query: query)
        if let header = request.headers["authorization"] {
            let bytes = Array(header.utf8)
            if bytes.allSatisfy({ $0 < 0x80 }) {
                // For ASCII, `Character.isWhitespace` is exactly these bytes (CR LF is one Character, both blank).
                if !bytes.allSatisfy(Self.isWhitespace) { return try parseHeaderASCII(header, bytes, request: request) }
            } else if !header.allSatisfy(\.isWhitespace) {
                return try parseHeaderUnicode(header, request: request)
            }
        }
        if query.contains(where: { Self.presignParameters.contains($0.name) }) {
            return try parsePresigned(query)
        }
        throw AWSError(.missingAuthenticationToken, "Missing Authentication Token")
    }

    /// Authentication by header and by query at once is refused, as AWS's JSON services refuse it (DynamoDB's answer,
    /// recorded by dynalite), rather than one of them being read as plain parameters.
    static func refuseBothForms(_ request: Request, query: [QueryPair]) throws(AWSError) {
        guard request.headers["authorization"] != nil, query.contains(where: { $0.name == "X-Amz-Algorithm" }) else {
            return
        }
        throw AWSError(
            .invalidSignature,
            "Found both 'X-Amz-Algorithm' as a query-string param and 'Authorization' as HTTP header.")
    }

    /// `parseHeaderUnicode` on the bytes of an all-ASCII header, with the same verdict and the same error text for
    /// every input (SigV4FastPathTests compares the two on generated headers). For ASCII its rules reduce to:
    /// `trimmingCharacters(in: .whitespaces)` trims tab and space only; `Character.isWhitespace` is tab, LF, VT,
    /// FF, CR and space; `String ==` is byte equality.
    func parseHeaderASCII(_ header: String, _ b: [UInt8], request: Request) throws(AWSError) -> SignedRequest {
        var start = 0
        var end = b.count
        while start < end, Self.isBlank(b[start]) { start += 1 }
        while end > start, Self.isBlank(b[end - 1]) { end -= 1 }
        var cut = start
        while cut < end, !Self.isWhitespace(b[cut]) { cut += 1 }
        // The first value of each parameter counts, as in `parseHeaderUnicode`'s dictionary; others are ignored.
        var credential: Range<Int>?
        var signedHeaders: Range<Int>?
        var signature: Range<Int>?
        var next = cut
        while next < end {
            var from = next
            var to = next
            while to < end, b[to] != UInt8(ascii: ",") { to += 1 }
            next = to + 1
            while from < to, Self.isBlank(b[from]) { from += 1 }
            while to > from, Self.isBlank(b[to - 1]) { to -= 1 }
            if from == to { continue }
            guard let eq = b[from..<to].firstIndex(of: UInt8(ascii: "=")) else {
                throw Self.notKeyValue(String(decoding: b[from..<to], as: UTF8.self), header: header)
            }
            let name = b[from..<eq]
            let value = (eq + 1)..<to
            if name.elementsEqual("Credential".utf8) {
                if credential == nil { credential = value }
            } else if name.elementsEqual("Signature".utf8) {
                if signature == nil { signature = value }
            } else if name.elementsEqual("SignedHeaders".utf8) {
                if signedHeaders == nil { signedHeaders = value }
            }
        }
        func text(_ range: Range<Int>?) -> String? { range.map { String(decoding: b[$0], as: UTF8.self) } }
        return try headerSignature(
            header, algorithm: String(decoding: b[start..<cut], as: UTF8.self), credential: text(credential),
            signedHeaders: text(signedHeaders), signature: text(signature), request: request)
    }

    /// The general parser, on `Character`s and Foundation's trimming: the reference for `parseHeaderASCII`, and
    /// what a header with any non-ASCII byte goes through (never a real SDK's, so its speed does not matter).
    func parseHeaderUnicode(_ header: String, request: Request) throws(AWSError) -> SignedRequest {
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
            guard let eq = item.firstIndex(of: "=") else { throw Self.notKeyValue(item, header: header) }
            let name = String(item[..<eq])
            if parameters[name] == nil { parameters[name] = String(item[item.index(after: eq)...]) }
        }
        return try headerSignature(
            header, algorithm: String(algorithm), credential: parameters["Credential"],
            signedHeaders: parameters["SignedHeaders"], signature: parameters["Signature"], request: request)
    }

    private static func notKeyValue(_ item: String, header: String) -> AWSError {
        AWSError(
            .incompleteSignature,
            "'\(item)' not a valid key=value pair (missing equal-sign) in Authorization header: '\(header)'.")
    }

    /// What both header parsers do with the parameters they found: the same checks, in the same order.
    private func headerSignature(
        _ header: String, algorithm: String, credential: String?, signedHeaders: String?, signature: String?,
        request: Request
    ) throws(AWSError) -> SignedRequest {
        let dateValue = request.headers["x-amz-date"] ?? request.headers["date"]
        var missing: [String] = []
        if credential == nil { missing.append("Authorization header requires 'Credential' parameter.") }
        if signature == nil { missing.append("Authorization header requires 'Signature' parameter.") }
        if signedHeaders == nil { missing.append("Authorization header requires 'SignedHeaders' parameter.") }
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
            form: .header, credential: credential ?? "", signedHeaders: signedHeaders ?? "",
            signature: signature ?? "", time: time, expires: nil)
    }

    /// Tab or space: what `CharacterSet.whitespaces` holds of ASCII.
    static func isBlank(_ b: UInt8) -> Bool { b == UInt8(ascii: " ") || b == UInt8(ascii: "\t") }

    /// What `Character.isWhitespace` holds of ASCII: tab, LF, VT, FF, CR, space.
    static func isWhitespace(_ b: UInt8) -> Bool { b == UInt8(ascii: " ") || (0x09...0x0D).contains(b) }

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
        // The one parameter the signature does not cover: a second one could carry anything past it.
        guard query.count(where: { $0.name == "X-Amz-Signature" }) == 1 else {
            throw AWSError(
                .incompleteSignature, "X-Amz-Signature must be given once. Re-examine the query-string parameters.")
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
        let parts = split(credential, on: UInt8(ascii: "/"))
        guard parts.count == 5, !parts.contains(where: \.isEmpty) else {
            throw AWSError(
                .incompleteSignature,
                "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got "
                    + "'\(credential)'")
        }
        let headers = split(signedHeaders, on: UInt8(ascii: ";")).map(lowercased)
        guard headers.contains("host") else {
            throw AWSError(
                .incompleteSignature, "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.")
        }
        return SignedRequest(
            form: form, credential: credential, accessKeyId: parts[0], scopeDate: parts[1], region: parts[2],
            service: parts[3], terminator: parts[4], signedHeaders: headers, signature: signature,
            timestamp: UTCTime.basic(time), time: time, expires: expires)
    }

    /// `text.split(separator:omittingEmptySubsequences: false)` on an ASCII separator, done on bytes when `text`
    /// is ASCII (where every byte is its own `Character`); on `Character`s otherwise.
    static func split(_ text: String, on separator: UInt8) -> [String] {
        let bytes = Array(text.utf8)
        guard bytes.allSatisfy({ $0 < 0x80 }) else {
            return text.split(separator: Character(Unicode.Scalar(separator)), omittingEmptySubsequences: false)
                .map(String.init)
        }
        var parts: [String] = []
        var from = 0
        for (i, b) in bytes.enumerated() where b == separator {
            parts.append(String(decoding: bytes[from..<i], as: UTF8.self))
            from = i + 1
        }
        parts.append(String(decoding: bytes[from...], as: UTF8.self))
        return parts
    }

    /// `lowercased()`, on bytes for ASCII (which SignedHeaders always is; botocore already sends it lower-case).
    static func lowercased(_ text: String) -> String {
        let upper = UInt8(ascii: "A")...UInt8(ascii: "Z")
        guard text.utf8.allSatisfy({ $0 < 0x80 }) else { return text.lowercased() }
        guard text.utf8.contains(where: upper.contains) else { return text }
        return String(decoding: text.utf8.map { upper.contains($0) ? $0 | 0x20 : $0 }, as: UTF8.self)
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
        if let asked = signed.expires {
            let expires = min(asked, Self.presignedValiditySeconds)
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

    /// The body's SHA-256, as `X-Amz-Content-Sha256` spells it when it names the same hash (botocore puts the
    /// header's value into the canonical request as it is). `UNSIGNED-PAYLOAD` is S3's option, left out of the
    /// signature by the others (opendal-reqsign#346): the body's own hash is signed, so a signature over the literal
    /// does not match, and the body cannot be swapped under a valid signature.
    private func payloadHash(_ request: Request) throws(AWSError) -> String {
        let computed = Self.sha256Hex(request.body)
        guard let claimed = request.headers["x-amz-content-sha256"], claimed != "UNSIGNED-PAYLOAD" else {
            return computed
        }
        if claimed.lowercased() == computed { return claimed }
        throw AWSError(
            .invalidSignature, "The provided 'x-amz-content-sha256' header does not match what was computed.")
    }

    // MARK: Canonical request and signature (AWS's spec, as botocore implements it)

    static func canonicalRequest(
        method: String, path: String, canonicalQuery: String, signedHeaders: [String], headers: [String: String],
        payloadHash: String
    ) -> String {
        String(
            decoding: canonicalRequestBytes(
                method: method, path: path, canonicalQuery: canonicalQuery, signedHeaders: signedHeaders,
                headers: headers, payloadHash: payloadHash),
            as: UTF8.self)
    }

    /// The canonical request written straight into one buffer: method, URI, query, one `name:value` line per
    /// signed header, an empty line, the signed header names joined by `;`, the payload hash; `\n` between them.
    static func canonicalRequestBytes(
        method: String, path: String, canonicalQuery: String, signedHeaders: [String], headers: [String: String],
        payloadHash: String
    ) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(256 + canonicalQuery.utf8.count)
        if method.utf8.allSatisfy({ $0 < 0x80 }) {
            for b in method.utf8 { out.append((UInt8(ascii: "a")...UInt8(ascii: "z")).contains(b) ? b - 32 : b) }
        } else {
            out.append(contentsOf: method.uppercased().utf8)
        }
        out.append(UInt8(ascii: "\n"))
        out.append(contentsOf: canonicalURI(path).utf8)
        out.append(UInt8(ascii: "\n"))
        out.append(contentsOf: canonicalQuery.utf8)
        out.append(UInt8(ascii: "\n"))
        for name in signedHeaders {
            out.append(contentsOf: name.utf8)
            out.append(UInt8(ascii: ":"))
            appendTrimmed(headers[name] ?? "", to: &out)
            out.append(UInt8(ascii: "\n"))
        }
        out.append(UInt8(ascii: "\n"))
        for (i, name) in signedHeaders.enumerated() {
            if i > 0 { out.append(UInt8(ascii: ";")) }
            out.append(contentsOf: name.utf8)
        }
        out.append(UInt8(ascii: "\n"))
        out.append(contentsOf: payloadHash.utf8)
        return out
    }

    /// botocore: dot segments and empty segments removed, then every byte but unreserved and `/` encoded once
    /// (so a `%` already in the path is encoded again, as AWS expects for every service but S3).
    static func canonicalURI(_ path: String) -> String {
        // Every operation is a POST or GET to `/`, which is its own canonical form.
        if path.isEmpty || path == "/" { return "/" }
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
    /// the query is already in the URL: the pairs exactly as sent, sorted. Both commit to what the operation reads
    /// (`QueryForm` also reads `+` as a space). A third reading, `+` kept as a plus, is not accepted: a value
    /// signed as `a%2Bb` could then be sent as `a+b` and read as `a b`, a value nobody signed.
    static func canonicalQueryCandidates(_ pairs: [QueryPair], excluding: Set<String>) -> [String] {
        let kept = pairs.filter { !excluding.contains($0.name) }
        // A JSON call has no query: both rules give the empty string.
        if kept.isEmpty { return [""] }
        func join(_ encoded: [([UInt8], [UInt8])]) -> String {
            let sorted = encoded.sorted { a, b in
                a.0 == b.0 ? a.1.lexicographicallyPrecedes(b.1) : a.0.lexicographicallyPrecedes(b.0)
            }
            return sorted.map { String(decoding: $0.0, as: UTF8.self) + "=" + String(decoding: $0.1, as: UTF8.self) }
                .joined(separator: "&")
        }
        let reencoded = join(
            kept.map {
                (
                    Array(percentEncode(QueryForm.decodedBytes(Array($0.rawName.utf8)[...]), keepSlash: false).utf8),
                    Array(percentEncode(QueryForm.decodedBytes(Array($0.rawValue.utf8)[...]), keepSlash: false).utf8)
                )
            })
        let asSent = join(kept.map { (Array($0.rawName.utf8), Array($0.rawValue.utf8)) })
        return asSent == reencoded ? [reencoded] : [reencoded, asSent]
    }

    static func stringToSign(_ signed: SignedRequest, canonicalRequest: String) -> String {
        String(decoding: stringToSignBytes(signed, canonicalRequest: Array(canonicalRequest.utf8)), as: UTF8.self)
    }

    /// The algorithm, the request's time, the credential scope and the canonical request's SHA-256, one a line.
    static func stringToSignBytes(_ signed: SignedRequest, canonicalRequest: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(160)
        out.append(contentsOf: algorithm.utf8)
        out.append(UInt8(ascii: "\n"))
        out.append(contentsOf: signed.timestamp.utf8)
        out.append(UInt8(ascii: "\n"))
        for part in [signed.scopeDate, signed.region, signed.service] {
            out.append(contentsOf: part.utf8)
            out.append(UInt8(ascii: "/"))
        }
        out.append(contentsOf: "aws4_request\n".utf8)
        out.append(contentsOf: Hex.encodedBytes(SHA256.hash(data: canonicalRequest)))
        return out
    }

    static func sha256Hex(_ bytes: [UInt8]) -> String { Hex.encode(SHA256.hash(data: bytes)) }

    /// kSigning, AWS's chain of four HMACs from the secret; `SigningKeyCache` keeps it for the day it is good for.
    static func signingKey(_ scope: SigningKeyCache.Key) -> SymmetricKey {
        signingKey(secret: scope.secret, date: scope.date, region: scope.region, service: scope.service)
    }

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

    /// Compares every byte whatever the first difference, so the time taken tells nothing of how much matched.
    static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var diff: UInt8 = 0
        for i in 0..<a.count { diff |= a[i] ^ b[i] }
        return diff == 0
    }

    /// Trimall: leading and trailing whitespace removed, inner runs collapsed to one space.
    static func trimAll(_ value: String) -> String {
        var out: [UInt8] = []
        appendTrimmed(value, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Trimall into `out`: on bytes when `value` is ASCII (whitespace as `Character.isWhitespace` has it), on
    /// `Character`s otherwise.
    static func appendTrimmed(_ value: String, to out: inout [UInt8]) {
        guard value.utf8.allSatisfy({ $0 < 0x80 }) else {
            out.append(contentsOf: value.split(whereSeparator: { $0.isWhitespace }).joined(separator: " ").utf8)
            return
        }
        var pendingSpace = false
        var wroteAny = false
        for b in value.utf8 {
            if isWhitespace(b) {
                pendingSpace = wroteAny
            } else {
                if pendingSpace { out.append(UInt8(ascii: " ")) }
                pendingSpace = false
                wroteAny = true
                out.append(b)
            }
        }
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
}

extension SigV4Verifier: RequestAuthenticator {
    public func authenticate(_ request: Request, now: Date) throws(AWSError) {
        try verify(request, now: now)
    }
}

/// Derived SigV4 signing keys (kSigning), kept per (secret, date, region, service) for the process's verifiers:
/// a key is good for a whole UTC day, and deriving it is four HMACs per request otherwise.
///
/// The secret itself is part of the cache key, so a secret replaced in `credentials.json` never meets a key
/// derived from the old one: the verifier looks the secret up first, and the new secret is simply a miss. A key
/// is kept only after it verified a request, and at most `capacity` of them (an arbitrary one goes when full; a
/// deployment uses a handful of keys a day); a `capacity` of 0 keeps none. Thread-safe: the workers' threads
/// share it under one lock, held only for the dictionary access, never while deriving.
final class SigningKeyCache: Sendable {
    static let shared = SigningKeyCache(capacity: 256)

    struct Key: Hashable {
        var secret: String
        var date: String
        var region: String
        var service: String
    }

    /// The value is an HMAC already keyed with kSigning: each copy signs (update, finalize) without redoing the
    /// key's pads; copies are independent values, so threads may use them at once.
    private let signers: BoundedMap<Key, HMAC<SHA256>>

    var capacity: Int { signers.capacity }

    init(capacity: Int) {
        signers = BoundedMap(capacity: capacity)
    }

    /// The HMAC-SHA256 keyed with the signing key of this secret and scope, when one is kept.
    func signer(for key: Key) -> HMAC<SHA256>? {
        signers[key]
    }

    /// Keeps `signer`, which must be keyed with `SigV4Verifier.signingKey` of exactly `key`'s secret and scope.
    func remember(_ signer: HMAC<SHA256>, for key: Key) {
        signers.set(signer, for: key)
    }

    /// How many keys are kept now.
    var count: Int { signers.count }
}

/// One `name=value` of a raw query string, kept as sent and also decoded.
struct QueryPair {
    var rawName: String
    var rawValue: String
    /// Decoded as the operation decodes them (`QueryForm.decode`); what the presign parameters are looked up by.
    var name: String
    var value: String

    /// Split exactly as the operation splits its parameters (`QueryForm.rawPairs`), so that the signature covers
    /// every pair the operation reads. (Split on bytes at `&` and `=`, the pieces of a `String` are whole UTF-8.)
    static func parse(_ query: String) -> [QueryPair] {
        QueryForm.rawPairs(query).map { pair in
            QueryPair(
                rawName: String(decoding: pair.name, as: UTF8.self),
                rawValue: String(decoding: pair.value, as: UTF8.self),
                name: QueryForm.decode(pair.name[...]), value: QueryForm.decode(pair.value[...]))
        }
    }
}

/// UTC calendar arithmetic on whole seconds since 1970, without Foundation's formatters or `Date()`.
enum UTCTime {
    static func seconds(_ date: Date) -> Int { Int(date.timeIntervalSince1970.rounded(.down)) }

    /// `20261128T000000Z`. Every signed request formats one, so it is written into one buffer.
    static func basic(_ seconds: Int) -> String {
        let c = components(seconds)
        guard (0...9999).contains(c.year) else {
            return pad(c.year, 4) + pad(c.month, 2) + pad(c.day, 2) + "T" + pad(c.hour, 2) + pad(c.minute, 2)
                + pad(c.second, 2) + "Z"
        }
        return String(unsafeUninitializedCapacity: 16) { out in
            func put(_ n: Int, _ width: Int, at end: Int) {
                var n = n
                for i in stride(from: end - 1, through: end - width, by: -1) {
                    out[i] = UInt8(ascii: "0") + UInt8(n % 10)
                    n /= 10
                }
            }
            put(c.year, 4, at: 4)
            put(c.month, 2, at: 6)
            put(c.day, 2, at: 8)
            out[8] = UInt8(ascii: "T")
            put(c.hour, 2, at: 11)
            put(c.minute, 2, at: 13)
            put(c.second, 2, at: 15)
            out[15] = UInt8(ascii: "Z")
            return 16
        }
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

    /// Strict `yyyy-MM-dd` (a day that exists), as the start of that day.
    static func parseDate(_ text: String) -> Int? {
        let b = Array(text.utf8)
        guard b.count == 10, b[4] == UInt8(ascii: "-"), b[7] == UInt8(ascii: "-"),
            let year = number(b[0..<4]), let month = number(b[5..<7]), let day = number(b[8..<10])
        else { return nil }
        return make(year: year, month: month, day: day, hour: 0, minute: 0, second: 0)
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

    /// Years of four digits only: beyond them the arithmetic below would overflow (a trap, not an error) for the
    /// unbounded years an HTTP date may spell.
    private static func make(year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int) -> Int? {
        guard (0...9999).contains(year), (1...12).contains(month), day >= 1, day <= daysIn(month: month, year: year),
            (0...23).contains(hour),
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
