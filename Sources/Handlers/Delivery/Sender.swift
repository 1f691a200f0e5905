/// Delivers messages (verification codes, invitations) to users.
///
/// Operations call a sender after the store write that the message depends on is durable, and never while
/// holding a pool's exclusive lock: delivery may be slow. A sender that cannot deliver throws
/// `CodeDeliveryFailureException`; it logs the reason (never the body, the code or the full destination).
///
/// Implementations: `OutboxSender` (one JSON file per message in `<data>/outbox/`; the default, and what tests
/// read) and `SendmailSender` (email through a sendmail-compatible command).
public protocol Sender: Sendable {
    func send(_ message: Message) throws(AWSError)
}

extension AWSError {
    /// What a failed delivery answers; the reason goes to the log only.
    public static let deliveryFailed = AWSError(.codeDeliveryFailure, "Unable to deliver the message.")
}
