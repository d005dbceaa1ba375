/// A request body the SDK serializes through ``JSONValue/jsonBytes()`` rather than `JSONEncoder` (same bytes:
/// compact, sorted keys, absent optionals omitted), which is several times cheaper on the signed-request path.
protocol JSONValueEncodable {
    var jsonValue: JSONValue { get }
}

extension JSONValue: JSONValueEncodable {
    var jsonValue: JSONValue { self }
}

extension Dictionary: JSONValueEncodable where Key == String, Value == String {
    var jsonValue: JSONValue { .object(mapValues(JSONValue.string)) }
}

extension TransferRequest: JSONValueEncodable {
    var jsonValue: JSONValue { json }
}

extension CreateWalletRequest: JSONValueEncodable {
    var jsonValue: JSONValue {
        var members: [String: JSONValue] = ["network": .string(network)]
        if let name { members["name"] = .string(name) }
        if let tags { members["tags"] = .array(tags.map(JSONValue.string)) }
        if let externalId { members["externalId"] = .string(externalId) }
        if let signingKey {
            var key: [String: JSONValue] = [:]
            if let scheme = signingKey.scheme { key["scheme"] = .string(scheme) }
            if let curve = signingKey.curve { key["curve"] = .string(curve) }
            if let id = signingKey.id { key["id"] = .string(id) }
            members["signingKey"] = .object(key)
        }
        if let delegateTo { members["delegateTo"] = .string(delegateTo) }
        if let delayDelegation { members["delayDelegation"] = .bool(delayDelegation) }
        if let validatorId { members["validatorId"] = .string(validatorId) }
        return .object(members)
    }
}

extension SignedChallenge: JSONValueEncodable {
    var jsonValue: JSONValue {
        var members: [String: JSONValue] = ["challengeIdentifier": .string(challengeIdentifier), "firstFactor": firstFactor.jsonValue]
        if let secondFactor { members["secondFactor"] = secondFactor.jsonValue }
        return .object(members)
    }
}

extension SignedChallenge.Assertion: JSONValueEncodable {
    var jsonValue: JSONValue {
        var assertion: [String: JSONValue]
        switch self {
        case .key(let key), .passwordProtectedKey(let key):
            assertion = ["credId": .string(key.credId), "clientData": .string(key.clientData), "signature": .string(key.signature)]
        case .fido2(let fido2):
            assertion = [
                "credId": .string(fido2.credId), "clientData": .string(fido2.clientData),
                "authenticatorData": .string(fido2.authenticatorData), "signature": .string(fido2.signature),
            ]
            if let userHandle = fido2.userHandle { assertion["userHandle"] = .string(userHandle) }
        }
        return .object(["kind": .string(kind), "credentialAssertion": .object(assertion)])
    }
}

extension JSONValue {
    /// An object of the members whose value is present (a request's optional fields left out when nil).
    static func members(_ members: KeyValuePairs<String, JSONValue?>) -> JSONValue {
        .object(Dictionary(uniqueKeysWithValues: members.compactMap { key, value in value.map { (key, $0) } }))
    }
}
