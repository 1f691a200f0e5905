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

    public init(method: String, path: String, query: String = "", headers: [String: String] = [:], body: [UInt8] = []) {
        self.method = method
        self.path = path
        self.query = query
        var lowered: [String: String] = [:]
        for (k, v) in headers { lowered[k.lowercased()] = v }
        self.headers = lowered
        self.body = body
    }

    public func header(_ name: String) -> String? { headers[name.lowercased()] }
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
