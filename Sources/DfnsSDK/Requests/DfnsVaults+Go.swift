import NIOHTTP1

extension DfnsVaults {
    /// `DELETE /vaults/{vaultId}/quarantines/{quarantineId}` (signed): dfns-sdk-go's `Unquarantine`, which the Python
    /// SDK lacks: releases quarantined funds into the available balance, answered `{status}`;
    /// ``releaseQuarantine(vaultId:quarantineId:reason:)`` does the same through the Python SDK's route.
    public static func unquarantine(vaultId: String, quarantineId: String, reason: String? = nil) throws -> DfnsRequest<JSONValue> {
        .write(
            .DELETE, "/vaults/\(try RequestPath.segment(vaultId, "vaultId"))/quarantines/\(try RequestPath.segment(quarantineId, "quarantineId"))",
            json: JSONValue.members(["reason": reason.map { .string($0) }]), endpoint: "/vaults/{vaultId}/quarantines/{quarantineId}")
    }
}
