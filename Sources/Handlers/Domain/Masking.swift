/// Destinations as `CodeDeliveryDetails` shows them: enough for the user to recognise where the code went,
/// not enough to learn an address from the response.
///
/// The formats are what Cognito answers today, as users paste it: `"Destination": "s***@g***"` for an address
/// at gmail.com, `"+********2076"` for a phone number (every digit but the last four masked, the `+` kept).
/// AWS's older CLI example (`aws-cli/awscli/examples/cognito-idp/forgot-password.rst`) shows `j***@e***.com`,
/// with the top-level domain; current responses drop it, and so do we.
public enum Masking {
    /// `alice@example.com` → `a***@e***`: the first character of the local part and of the domain.
    public static func email(_ address: String) -> String {
        guard let at = address.lastIndex(of: "@") else {
            return prefix(address) + "***"
        }
        let local = address[..<at]
        let domain = address[address.index(after: at)...]
        return prefix(local) + "***@" + prefix(domain) + "***"
    }

    /// `+15555550123` → `+*******0123`: every digit but the last four becomes `*`; the `+` stays. Numbers with
    /// four digits or fewer are masked entirely rather than shown whole.
    public static func phone(_ number: String) -> String {
        let digits = number.filter(\.isASCIIDigit)
        let shown = digits.count > 4 ? String(digits.suffix(4)) : ""
        let plus = number.hasPrefix("+") ? "+" : ""
        return plus + String(repeating: "*", count: digits.count - shown.count) + shown
    }

    /// The masked form of `destination` for its medium.
    public static func destination(_ destination: String, medium: DeliveryMediumType) -> String {
        switch medium {
        case .email: return email(destination)
        case .sms: return phone(destination)
        }
    }

    private static func prefix(_ s: Substring) -> String { s.first.map { String($0) } ?? "" }
    private static func prefix(_ s: String) -> String { s.first.map { String($0) } ?? "" }
}

extension CodeDeliveryDetailsType {
    /// Delivery details for a message sent to `destination` (unmasked; masked here), as responses carry them.
    public init(maskedDestination destination: String, medium: DeliveryMediumType, attributeName: String) {
        self.init(
            destination: Masking.destination(destination, medium: medium), deliveryMedium: medium,
            attributeName: attributeName)
    }
}

extension Character {
    fileprivate var isASCIIDigit: Bool { isASCII && isNumber }
}
