import AsyncHTTPClient
import Logging

/// Logs users in and registers them, as the official SDKs' authenticator does (dfns-sdk-ts
/// `packages/sdk/dfnsAuthenticator.ts`: a login is the challenge, the credential's signature and its completion; a
/// registration is the challenge, the new credential's attestation and its completion with the session's temporary
/// token as bearer), and finishes the registrations a service account opened for its users
/// (``DfnsClient/delegatedRegistration(email:kind:externalId:)``) with the credential the user's device made.
///
/// The authenticator holds no token: the routes it calls are those Dfns answers without one (a registration's
/// completion takes the session's token). A login answers the user's token; ``client(token:signer:)`` acts with it.
public struct DfnsAuthenticator: Sendable {
    private let configuration: DfnsClientConfiguration
    private let httpClient: HTTPClient
    private let logger: Logger
    /// The client of the routes Dfns answers without a token: one, so its requests share one rate limiter.
    private let tokenless: DfnsDelegatedClient

    /// - Parameters:
    ///   - configuration: the API's base URL and the client settings; its `authToken` is not used.
    ///   - httpClient: the AsyncHTTPClient to send through; defaults to the process-wide shared client.
    ///   - logger: receives debug-level request logs (never headers, bodies or keys).
    public init(configuration: DfnsClientConfiguration, httpClient: HTTPClient = .shared, logger: Logger = Logger(label: "dfns.sdk")) {
        self.configuration = configuration
        self.httpClient = httpClient
        self.logger = logger
        self.tokenless = DfnsDelegatedClient(configuration: configuration, httpClient: httpClient, logger: logger)
    }

    /// A client of `token` (a login's, a registration session's), with the authenticator's settings.
    public func delegatedClient(token: String) -> DfnsDelegatedClient {
        var configuration = configuration
        configuration.authToken = token
        return DfnsDelegatedClient(configuration: configuration, httpClient: httpClient, logger: logger)
    }

    /// A client acting as the user whose login `token` is, signing their user actions with `signer`.
    public func client(token: String, signer: any CredentialSigner) -> DfnsClient {
        var configuration = configuration
        configuration.authToken = token
        return DfnsClient(configuration: configuration, signer: signer, httpClient: httpClient, logger: logger)
    }

    // MARK: Login

    /// Logs `username` in with a key credential: the login challenge signed by `signer` (`key.get`). Answers the
    /// user's token.
    /// - Throws: ``DfnsError``: `.unauthorized` for a user Dfns does not know or a signature it refuses, `.signing` for a
    ///   credential the challenge does not allow.
    public func login(username: String, orgId: String? = nil, signer: some CredentialSigner) async throws -> String {
        let challenge = try await loginChallenge(username: username, orgId: orgId)
        return try await completeLogin(try await UserActionSigning.sign(challenge, with: signer, origin: configuration.appOrigin))
    }

    /// The challenge of a login (`/auth/login/init`), for a credential held elsewhere: a user's passkey signs it in
    /// their browser (`navigator.credentials.get` with ``UserActionChallenge/allowedWebAuthnCredentialIds``); without
    /// a username, any discoverable passkey of the organisation may.
    public func loginChallenge(username: String? = nil, orgId: String? = nil, loginCode: String? = nil) async throws -> UserActionChallenge {
        let answer = try await send(DfnsAuth.createLoginChallenge(username: username, orgId: orgId, loginCode: loginCode))
        do {
            return try UserActionChallenge(json: answer)
        } catch {
            throw DfnsError(code: .decoding, message: "the login challenge does not read as one: \(error)", underlying: error)
        }
    }

    /// Completes a login with its signed challenge; answers the user's token. A challenge is signed once.
    public func completeLogin(_ signed: SignedChallenge) async throws -> String {
        let answer = try await send(
            DfnsAuth.login(
                challengeIdentifier: signed.challengeIdentifier, firstFactor: signed.firstFactor.jsonValue,
                secondFactor: signed.secondFactor?.jsonValue))
        guard let token = answer["token"]?.stringValue else { throw DfnsError(code: .decoding, message: "the login answered no token") }
        return token
    }

    // MARK: Registration

    /// Registers `username` with the code Dfns emailed them and a new key credential `signer` (`key.create`).
    /// Answers `{credential, user}` as Dfns does.
    public func register(username: String, registrationCode: String, orgId: String? = nil, signer: KeySigner, credentialName: String) async throws
        -> JSONValue
    {
        let challenge = try await registrationChallenge(username: username, registrationCode: registrationCode, orgId: orgId)
        return try await completeRegistration(challenge, firstFactor: try await signer.attestation(for: challenge.challenge, name: credentialName))
    }

    /// The challenge of a registration by code (`/auth/registration/init`).
    public func registrationChallenge(username: String, registrationCode: String, orgId: String? = nil) async throws -> RegistrationChallenge {
        try Self.registration(
            try await send(DfnsAuth.createRegistrationChallenge(username: username, registrationCode: registrationCode, orgId: orgId)))
    }

    /// Completes a registration with the credentials attesting its challenge: a key's
    /// (``KeySigner/attestation(for:name:kind:encryptedPrivateKey:)``), or a passkey's made in the user's browser
    /// (`{credentialKind: "Fido2", credentialInfo: {credId, clientData, attestationData}}`). Never sent twice: Dfns
    /// documents no idempotency for it, and the session completes once.
    public func completeRegistration(
        _ challenge: RegistrationChallenge, firstFactor: JSONValue, secondFactor: JSONValue? = nil, recovery: JSONValue? = nil
    ) async throws -> JSONValue {
        try await delegatedClient(token: challenge.temporaryAuthenticationToken).send(
            DfnsAuth.register(firstFactorCredential: firstFactor, secondFactorCredential: secondFactor, recoveryCredential: recovery))
    }

    /// Completes an end user's registration with wallets made for them (`/auth/registration/enduser`); the answer
    /// logs them in (``EndUserRegistration/token``).
    public func completeEndUserRegistration(
        _ challenge: RegistrationChallenge, firstFactor: JSONValue, wallets: [CreateWalletRequest], recovery: JSONValue? = nil
    ) async throws -> EndUserRegistration {
        let specs = JSONValue.array(
            wallets.map { wallet in JSONValue.members(["network": .string(wallet.network), "name": wallet.name.map { .string($0) }]) })
        let answer = try await delegatedClient(token: challenge.temporaryAuthenticationToken).send(
            DfnsAuth.registerEndUser(firstFactorCredential: firstFactor, wallets: specs, recoveryCredential: recovery))
        do {
            return try EndUserRegistration(json: answer)
        } catch {
            throw DfnsError(code: .decoding, message: "the end user's registration does not read as one: \(error)", underlying: error)
        }
    }

    private func send(_ request: DfnsRequest<JSONValue>) async throws -> JSONValue {
        try await tokenless.send(request)
    }

    static func registration(_ answer: JSONValue) throws -> RegistrationChallenge {
        do {
            return try RegistrationChallenge(json: answer)
        } catch {
            throw DfnsError(code: .decoding, message: "the registration challenge does not read as one: \(error)", underlying: error)
        }
    }
}
