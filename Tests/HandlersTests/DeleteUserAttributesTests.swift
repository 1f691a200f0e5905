import Foundation
import Testing

@testable import Handlers

struct DeleteUserAttributesTests {
    func delete(_ s: SelfService, _ names: [String]) -> JSON {
        s.input(["UserAttributeNames": .array(names.map { .string($0) })])
    }

    @Test func deletesAttributes() throws {
        let s = try SelfService()
        s.h.clock.advance(60)
        #expect(s.h.ok("DeleteUserAttributes", delete(s, ["name", "custom:team", "locale"])) == [:])
        let alice = try s.alice()
        #expect(alice.attributes["name"] == nil && alice.attributes["custom:team"] == nil)
        #expect(alice.attributes["address"] == "1 Rabbit Hole" && alice.modified == s.h.clock.now())
    }

    @Test func deletingTheEmailTakesItsFlagCodeAndAlias() throws {
        let s = try SelfService { $0.aliasAttributes = [.email] }
        s.h.ok("GetUserAttributeVerificationCode", s.input(["AttributeName": "email"]))
        #expect(try AdminUsers.stored(s.h, s.f.poolId, "alice@example.com") != nil)
        s.h.ok("DeleteUserAttributes", delete(s, ["email"]))
        let alice = try s.alice()
        #expect(alice.email == nil && alice.attributes["email_verified"] == nil && alice.codes.isEmpty)
        #expect(try AdminUsers.stored(s.h, s.f.poolId, "alice@example.com") == nil)
    }

    @Test(arguments: [
        (["nosuch"], "Invalid user attributes: nosuch: Attribute does not exist in the schema.\n"),
        (["custom:undefined"], "Invalid user attributes: custom:undefined: Attribute does not exist in the schema.\n"),
        (["sub"], "user.sub: Attribute cannot be updated."),
        (["custom:badge"], "user.custom:badge: Attribute cannot be updated."),
        (["email"], "Invalid user attributes: email: The attribute is required\n"),
    ])
    func refusedByTheSchema(names: [String], message: String) throws {
        let s = try SelfService {
            $0.schemaAttributes = $0.schemaAttributes?.map { a in
                var a = a
                if a.name == "email" { a.required = true }
                return a
            }
            SelfService.immutableBadge(&$0)
        }
        Clients.refused(s.h, "DeleteUserAttributes", delete(s, names), "InvalidParameterException", message)
    }

    @Test func onlyTheClientsWriteAttributes() throws {
        let s = try SelfService(client: ["WriteAttributes": ["name"]])
        for names in [["custom:team"], ["name", "locale"], ["email_verified"], ["dev:custom:secret"]] {
            Clients.refused(s.h, "DeleteUserAttributes", delete(s, names), "NotAuthorizedException",
                            "A client attempted to write unauthorized attribute")
        }
        s.h.ok("DeleteUserAttributes", delete(s, ["name"]))
    }

    @Test func everyTokenRefusal() throws {
        let s = try SelfService()
        try s.checkTokenRefusals("DeleteUserAttributes", ["UserAttributeNames": ["name"]])
        // A refused token is answered first, whatever the names.
        Clients.refused(s.h, "DeleteUserAttributes", delete(s, ["sub"]), "NotAuthorizedException")
    }

    @Test func queryFormMatchesJSON() throws {
        let twins = try (0..<2).map { _ in try SelfService() }
        let byJSON = twins[0].h.call("DeleteUserAttributes", delete(twins[0], ["name", "locale"]))
        let byQuery = twins[1].h.query("DeleteUserAttributes", [
            ("AccessToken", twins[1].access), ("UserAttributeNames.member.1", "name"),
            ("UserAttributeNames.member.2", "locale"),
        ])
        #expect(byJSON.status == 200 && byQuery.status == 200 && byJSON.body == byQuery.body)
        #expect(try twins.map { try $0.alice() }.allSatisfy { $0.attributes["name"] == nil })
        let s = twins[1]
        let refused = s.sameInBothForms("DeleteUserAttributes", json: delete(s, ["sub"]),
                                        query: [("AccessToken", s.access), ("UserAttributeNames", #"["sub"]"#)])
        #expect(refused.body["__type"] == "InvalidParameterException")
    }
}
