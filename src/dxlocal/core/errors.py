"""Errors that reach a client.

Service errors are the five error shapes of the model; botocore picks the exception class
from ``__type`` alone, so ``client.exceptions.DirectConnectClientException`` catches them.
Every modelled Direct Connect error is documented as HTTP 400, the server one included
(AWS Direct Connect API Reference, "Errors" of each operation).

Protocol errors (bad JSON, wrong member types, unknown operation, oversized body) are the
front door's, not the service's: they carry the codes AWS's JSON front end uses
(SerializationException, UnknownOperationException) and never touch the store.

Messages whose AWS wording is known live here as named constructors, so the texts stay in
one place.
"""

from __future__ import annotations


class ApiError(Exception):
    """An error answered to the client as ``{"__type": code, "message": ...}``."""

    code = "DirectConnectClientException"
    status = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class DirectConnectClientException(ApiError):
    code = "DirectConnectClientException"


class DirectConnectServerException(ApiError):
    code = "DirectConnectServerException"


class DuplicateTagKeysException(ApiError):
    code = "DuplicateTagKeysException"


class TooManyTagsException(ApiError):
    code = "TooManyTagsException"


class LimitExceededException(ApiError):
    code = "LimitExceededException"


class SerializationException(ApiError):
    code = "SerializationException"


class UnknownOperationException(ApiError):
    code = "UnknownOperationException"


class InvalidAction(ApiError):
    # The query protocol's answer to an action it does not know (AWS "Common Errors").
    code = "InvalidAction"


class ValidationError(ApiError):
    # Input that fails the model's constraints, on query APIs such as STS (AWS "Common Errors").
    code = "ValidationError"


class RequestTooLarge(ApiError):
    # The JSON front end refuses bodies over its limit before any parsing.
    code = "SerializationException"
    status = 413


ClientError = DirectConnectClientException


# --- AWS's known wording (docs/behavior.md#errors) ---------------------------------------------


def connection_not_found(connection_id: str) -> ClientError:
    return ClientError(f"Could not find Connection with ID {connection_id}")


def lag_not_found(lag_id: str) -> ClientError:
    return ClientError(f"Could not find Lag with ID {lag_id}")


def vif_not_found(vif_id: str) -> ClientError:
    return ClientError(f"Virtual interface {vif_id} does not exist.")


def last_bgp_peer() -> ClientError:
    return ClientError("The last BGP Peer on a Virtual Interface cannot be deleted")


def transitioning(connection_id: str) -> ClientError:
    return ClientError(f"Connection {connection_id} is in a transitioning state.")


def invalid_dxgw_format(gateway_id: str) -> ClientError:
    return ClientError(f"DirectConnectGatewayID {gateway_id} has an invalid format.")


def amazon_address_private() -> ClientError:
    return ClientError("Amazon Address is not allowed to contain a private IP")


def addresses_not_same_cidr() -> ClientError:
    return ClientError("Amazon Address and Customer Address must be in the same CIDR")


def amazon_address_zero() -> ClientError:
    return ClientError("Amazon Address is address 0 on its subnet.")


def amazon_address_broadcast() -> ClientError:
    return ClientError("Amazon Address is the broadcast address on its subnet.")


def allocate_to_owner() -> ClientError:
    return ClientError("Cannot allocate VirtualInterface for the connection owner.")


def not_implemented(operation: str) -> DirectConnectServerException:
    return DirectConnectServerException(f"{operation} is not implemented by dxlocal yet.")


def dxgw_not_found(gateway_id: str) -> ClientError:
    return ClientError(f"Direct Connect gateway {gateway_id} does not exist.")


def association_not_found(association_id: str) -> ClientError:
    return ClientError(f"Direct Connect gateway association {association_id} does not exist.")


def proposal_not_found(proposal_id: str) -> ClientError:
    return ClientError(f"Direct Connect gateway association proposal {proposal_id} does not exist.")


def proposal_accepted() -> ClientError:
    # The double space is AWS's (terraform-provider-aws#14328).
    return ClientError("Direct Connect Gateway Association Proposal  has been accepted!")


def proposal_gateway_not_found(proposal_id: str) -> ClientError:
    return ClientError(
        f"The Virtual Gateway in the Direct Connect Gateway Association Proposal {proposal_id} is not found"
    )


# --- connections, LAGs, interconnects, hosted connections (docs/behavior.md#errors) ---


def confirm_connection_state(connection_id: str, state: str) -> ClientError:
    return ClientError(f"ConfirmConnection failed. {connection_id} is in state {state}")


def not_a_partner(account: str, region: str) -> ClientError:
    return ClientError(
        f"Account {account} is not an authorized Direct Connect partner in {region}."
    )


def hosted_parent_missing(account: str, connection_id: str) -> ClientError:
    return ClientError(
        f"{account} DescribeHostedConnections failed for connection {connection_id} doesn't exist."
    )


def interconnect_not_found(interconnect_id: str) -> ClientError:
    return ClientError(f"Could not find Interconnect with ID {interconnect_id}")


def resiliency_group_not_found(group_id: str) -> ClientError:
    return ClientError(f"Resiliency group {group_id} does not exist.")
