import Foundation

/// A ListUsers `Filter`: `AttributeName = "value"` (exact) or `AttributeName ^= "value"` (starts with), as
/// AWS documents it for ListUsers.
///
/// Syntax: optional whitespace, an attribute name, optional whitespace, `=` or `^=`, optional whitespace, a
/// double-quoted value in which a backslash takes the next character literally (`\"` is a quote, `\\` a
/// backslash), optional whitespace. A filter that is empty or only whitespace means no filter.
///
/// Case, as AWS's ListUsers reference marks it:
/// - `username` is case-sensitive, folded only as the pool itself folds usernames (a pool with
///   `UsernameConfiguration.CaseSensitive = false` treats `Alice` and `alice` as one user everywhere, so its
///   filter does too);
/// - `status` (Enabled/Disabled, "Enabled" in the console) is case-sensitive;
/// - `cognito:user_status` ("Status" in the console) and every other attribute are case-insensitive (the
///   developer guide's searches are case-insensitive apart from the ones it marks).
public struct UserFilter: Sendable, Equatable {
    public enum Match: String, Sendable {
        case exact = "="
        case prefix = "^="
    }

    public let attribute: String
    public let match: Match
    public let value: String

    /// The only attributes AWS searches; custom attributes are not searchable.
    public static let searchableAttributes: [String] = [
        "username", "email", "phone_number", "name", "given_name", "family_name", "preferred_username",
        "cognito:user_status", "status", "sub",
    ]

    /// Parses `text`; nil when there is nothing to filter on.
    public static func parse(_ text: String?) throws(AWSError) -> UserFilter? {
        guard let text, text.contains(where: { !$0.isWhitespace }) else { return nil }
        var rest = Substring(text)
        rest = rest.drop(while: \.isWhitespace)
        let name = rest.prefix { !$0.isWhitespace && $0 != "=" && $0 != "^" && $0 != "\"" }
        rest = rest.dropFirst(name.count).drop(while: \.isWhitespace)
        let match: Match
        if rest.hasPrefix("^=") {
            match = .prefix
        } else if rest.hasPrefix("=") {
            match = .exact
        } else {
            throw parseError
        }
        rest = rest.dropFirst(match.rawValue.count).drop(while: \.isWhitespace)
        guard !name.isEmpty, rest.first == "\"" else { throw parseError }
        rest = rest.dropFirst()
        var value = ""
        var closed = false
        while let c = rest.popFirst() {
            if c == "\"" {
                closed = true
                break
            }
            if c == "\\" {
                guard let escaped = rest.popFirst() else { throw parseError }
                value.append(escaped)
            } else {
                value.append(c)
            }
        }
        guard closed, rest.allSatisfy(\.isWhitespace) else { throw parseError }
        guard searchableAttributes.contains(String(name)) else {
            throw AWSError.invalidParameter("Invalid search attribute: \(name)")
        }
        return UserFilter(attribute: String(name), match: match, value: value)
    }

    static let parseError = AWSError.invalidParameter("Error while parsing filter.")

    /// One string per distinct filter (however it was spaced or escaped), to scope pagination tokens.
    public var canonical: String { attribute + " " + match.rawValue + " " + value }

    /// Whether `user` of `pool` passes the filter. A user without the attribute never does.
    public func matches(_ user: UserRecord, in pool: UserPoolType) -> Bool {
        let candidate: String?
        let fold: (String) -> String
        switch attribute {
        case "username":
            candidate = user.username
            fold = { UserKey.username($0, in: pool) }
        case "status":
            candidate = user.enabled ? "Enabled" : "Disabled"
            fold = { $0 }
        case "cognito:user_status":
            candidate = user.status.rawValue
            fold = Self.caseless
        case "sub":
            candidate = user.sub
            fold = Self.caseless
        default:
            candidate = user.attributes[attribute]
            fold = Self.caseless
        }
        guard let candidate else { return false }
        let have = fold(candidate)
        let want = fold(value)
        switch match {
        case .exact: return have == want
        case .prefix: return have.hasPrefix(want)
        }
    }

    private static func caseless(_ s: String) -> String {
        s.precomposedStringWithCanonicalMapping.lowercased()
    }
}
