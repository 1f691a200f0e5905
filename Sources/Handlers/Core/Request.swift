/// An HTTP request as the front end hands it over: everything copied out, nothing borrowed.
public struct Request: Sendable {
    public var method: String
    /// The path without the query string, e.g. `/` or `/us-east-1_abc/.well-known/jwks.json`.
    public var path: String
    /// The raw query string, without `?`, still percent-encoded (SigV4 needs it as sent).
    public var query: String
    /// Header names lower-cased.
    public var headers: [String: String]
    public var body: [UInt8]

    /// Lower-cases every header name (when two names differ only in case, one of them is kept).
    public init(method: String, path: String, query: String = "", headers: [String: String] = [:], body: [UInt8] = []) {
        var lowered: [String: String] = [:]
        lowered.reserveCapacity(headers.count)
        for (k, v) in headers { lowered[k.lowercased()] = v }
        self.init(method: method, path: path, query: query, lowercasedHeaders: lowered, body: body)
    }

    /// Takes `headers` as they are, for the front end, which already writes every name lower-case while copying
    /// it out (rebuilding the dictionary here was pure overhead on every request).
    ///
    /// Precondition: every name equals its own `lowercased()`; a name with an upper-case letter would never be
    /// found by `header(_:)` or by SigV4's look-ups.
    public init(
        method: String, path: String, query: String = "", lowercasedHeaders headers: [String: String],
        body: [UInt8] = []
    ) {
        assert(headers.keys.allSatisfy { $0 == $0.lowercased() }, "header names must be lower-case")
        self.method = method
        self.path = path
        self.query = query
        self.headers = headers
        self.body = body
    }

    /// The value of header `name`, in any case. Callers pass literals that are already lower-case, so the name is
    /// lower-cased only when it holds an upper-case ASCII letter or any non-ASCII byte (checked on bytes).
    public func header(_ name: String) -> String? {
        let isLower = name.utf8.allSatisfy { $0 < 0x80 && !(UInt8(ascii: "A")...UInt8(ascii: "Z")).contains($0) }
        return headers[isLower ? name : name.lowercased()]
    }
}

/// An HTTP response; the front end writes it as a CGI `Status:` line, headers, and the body.
public struct Response: Sendable {
    public var status: Int
    public var headers: [(String, String)]
    public var body: [UInt8]

    public init(status: Int, headers: [(String, String)] = [], body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    public func header(_ name: String) -> String? {
        headers.first { $0.0.lowercased() == name.lowercased() }?.1
    }

    public var bodyString: String { String(decoding: body, as: UTF8.self) }
}
