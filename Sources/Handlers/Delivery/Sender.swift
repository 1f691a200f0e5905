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

    /// The work of `send` for a message by `medium`, delivering nothing: what a simulated delivery does
    /// (PreventUserExistenceErrors ENABLED answers a name that is no user's as if a code were sent), so that its
    /// answer takes as long as a real one's, and fails where a real one would. By default nothing: a sender whose
    /// delivery costs no time in the request.
    func rehearse(_ medium: DeliveryMediumType) throws(AWSError)
}

extension Sender {
    public func rehearse(_ medium: DeliveryMediumType) throws(AWSError) {}
}

extension AWSError {
    /// What a failed delivery answers; the reason goes to the log only.
    public static let deliveryFailed = AWSError(.codeDeliveryFailure, "Unable to deliver the message.")
}
