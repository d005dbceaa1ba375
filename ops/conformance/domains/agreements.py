"""The agreements client: the latest agreement the caller has not accepted, and its acceptance."""


def run(context):
    call = context.call
    latest = call("agreements", "get_latest_unaccepted_agreement", {"agreementType": "TermsAndConditions"},
                  expect=lambda r: r["latestAgreement"]["agreementType"] == "TermsAndConditions")
    agreement_id = (latest.get("latestAgreement") or {}).get("id", "ag-missing")
    call("agreements", "record_agreement_acceptance", agreement_id, expect=lambda r: r["agreementId"] == agreement_id and r["userId"])
    context.check("an accepted agreement is no longer the latest unaccepted",
                  context.client.agreements.get_latest_unaccepted_agreement({"agreementType": "TermsAndConditions"})["latestAgreement"] is None)
