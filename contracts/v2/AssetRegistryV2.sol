// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {MessageHashUtils} from "@openzeppelin/contracts/utils/cryptography/MessageHashUtils.sol";
import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";
import {ILedgerDirectory} from "../interfaces/ILedgerDirectory.sol";
import {IAssetRegistryV2} from "./interfaces/IAssetRegistryV2.sol";
import {IOrgDirectory} from "./interfaces/IOrgDirectory.sol";

/// @notice The one view of UseAndFinance the registry reads.
interface IPledgeView {
    function pledgeOf(bytes32 assetId) external view returns (bytes32);
}

/// @title AssetRegistryV2
/// @notice See {IAssetRegistryV2} for the rules. Stores only what it reads later; the rest is
/// in the events. Immutable: a new version is a new deployment.
contract AssetRegistryV2 is IAssetRegistryV2 {
    /// @notice EIP-712 type of the portable certificate document (unchanged from v1).
    bytes32 public constant CERTIFICATE_TYPEHASH = keccak256(
        "Certificate(bytes32 certificateId,bytes32 assetId,bytes32 registrarOrgId,bytes32 holderOrgId,bytes32 metadataHash,uint8 kind,uint64 issuedAt)"
    );
    /// @notice Revocation reasons the contract acts on (the catalogue is chain/revocation.py).
    bytes32 private constant DOMAIN_TYPEHASH =
        keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)");
    /// @notice EIP-712 domain name and version (unchanged from v1; the address tells versions apart).
    bytes32 private constant NAME_HASH = keccak256("DataAssetLedger");
    bytes32 private constant VERSION_HASH = keccak256("1");
    uint32 public constant REASON_DISPOSED = 1;
    uint32 public constant REASON_REGISTRATION_ERROR = 2;
    uint32 public constant REASON_KEY_COMPROMISED = 6;
    /// @notice Objections by organisations of another city: at most this many per period.
    uint16 public constant FOREIGN_OBJECTIONS_PER_PERIOD = 3;
    uint64 public constant FOREIGN_OBJECTION_PERIOD = 1 days;

    /// @dev Slot 0 the registered metadata, slot 1 the current certificate, slot 2 the rest
    /// (read at once into memory by the usability check).
    struct AssetInfo {
        uint32 holderIndex;
        uint32 city;
        AssetStatus status;
        ComplianceResult compliance;
        bool valued;
        bool disputed;
        bool certificateRevoked;
        bool amended;
        uint16 openObjections;
        uint32 nonce;
        uint40 noticeEndsAt;
        uint40 certificateValidUntil;
    }

    struct AssetSlot {
        bytes32 metadataHash;
        bytes32 currentCertificateId;
        AssetInfo info;
    }

    /// @dev Slot 0 the asset, slot 1 the rest. The registrar is the registrar of `city`.
    struct CertInfo {
        uint40 issuedAt;
        uint40 validUntil;
        uint40 revokedAt;
        uint32 revocationReason;
        uint32 city;
        RegistrationKind kind;
        bool superseded;
        bool ownMetadata;
    }

    struct CertSlot {
        bytes32 assetId;
        CertInfo info;
    }

    /// @dev The acting registrar and its effective terms.
    struct Registrar {
        bytes32 orgId;
        uint64 noticeWindow;
        uint64 certificateTerm;
    }

    struct ObjectorQuota {
        uint40 periodStart;
        uint16 count;
    }

    IOrgDirectory private immutable _directory;
    address private immutable _deployer;
    address private _useAndFinance;

    mapping(bytes32 assetId => AssetSlot) private _assets;
    mapping(bytes32 assetId => bytes32) private _amendedMetadata;
    mapping(bytes32 batchId => Batch) private _batches;
    mapping(bytes32 objectionId => Objection) private _objections;
    mapping(bytes32 objectorOrgId => ObjectorQuota) private _quotas;
    mapping(bytes32 certificateId => CertSlot) private _certs;
    mapping(bytes32 certificateId => bytes32) private _certMetadata;
    mapping(bytes32 certificateId => bytes32) private _replacedBy;
    mapping(bytes32 certificateId => bytes32) private _supersedes;
    mapping(bytes32 certificateId => mapping(uint32 orgIndex => bool)) private _recognitions;

    uint256 private immutable _cachedChainId;
    bytes32 private immutable _cachedDomainSeparator;

    constructor(IOrgDirectory directory_) {
        _cachedChainId = block.chainid;
        _cachedDomainSeparator = _buildDomainSeparator();
        _directory = directory_;
        _deployer = msg.sender;
    }

    /// @notice The deploying account binds UseAndFinance once (it reads pledges from it).
    function bindUseAndFinance(address useAndFinance_) external {
        if (msg.sender != _deployer) revert NotUseAndFinance(msg.sender);
        if (_useAndFinance != address(0)) revert AlreadyBound(_useAndFinance);
        if (useAndFinance_ == address(0)) revert ZeroValue();
        _useAndFinance = useAndFinance_;
        emit UseAndFinanceBound(useAndFinance_);
    }

    // ================================================================ resources

    function registerResource(bytes32 catalogueHash, bytes32 metadataHash, uint32 domainCode)
        external
        returns (bytes32)
    {
        IOrgDirectory.Actor memory holder = _actorOf(ILedgerDirectory.OrgKind.Holder);
        return _register(holder, 0, catalogueHash, metadataHash, domainCode);
    }

    function registerResourceBatch(bytes32 root, uint32 count, bytes32 manifestHash)
        external
        returns (bytes32 batchId)
    {
        IOrgDirectory.Actor memory holder = _actorOf(ILedgerDirectory.OrgKind.Holder);
        if (root == 0 || count == 0) revert ZeroValue();
        batchId = keccak256(abi.encode(holder.orgId, root));
        Batch storage b = _batches[batchId];
        if (b.registeredAt != 0) revert BatchExists(batchId);
        b.holderOrgId = holder.orgId;
        b.root = root;
        b.manifestHash = manifestHash;
        b.city = holder.city;
        b.count = count;
        b.registeredAt = uint64(block.timestamp);
        emit ResourceBatchRegistered(batchId, holder.orgId, b);
    }

    function materialiseResource(
        bytes32 batchId,
        bytes32 catalogueHash,
        bytes32 metadataHash,
        uint32 domainCode,
        bytes32[] calldata proof
    ) external returns (bytes32) {
        Batch storage b = _batches[batchId];
        if (b.registeredAt == 0) revert UnknownBatch(batchId);
        IOrgDirectory.Actor memory holder = _actorOf(ILedgerDirectory.OrgKind.Holder);
        if (holder.orgId != b.holderOrgId) revert NotHolder(batchId, holder.orgId);
        bytes32 leaf = _leaf(catalogueHash, metadataHash, domainCode);
        if (!MerkleProof.verifyCalldata(proof, b.root, leaf)) revert InvalidProof(batchId, leaf);
        if (b.materialised >= b.count) revert BatchComplete(batchId, b.count);
        ++b.materialised;
        return _register(holder, batchId, catalogueHash, metadataHash, domainCode);
    }

    function proveResource(
        bytes32 batchId,
        bytes32 catalogueHash,
        bytes32 metadataHash,
        uint32 domainCode,
        bytes32[] calldata proof
    ) external view returns (bool) {
        bytes32 root = _batches[batchId].root;
        return root != 0 && MerkleProof.verifyCalldata(proof, root, _leaf(catalogueHash, metadataHash, domainCode));
    }

    // ================================================================ evaluation, notice, objections, disputes

    function recordValuation(bytes32 assetId, uint128 valueFen, uint32 methodCode, bytes32 reportHash) external {
        (AssetSlot storage a, Registrar memory r) = _registrarAct(assetId, AssetStatus.Registered);
        if (valueFen == 0 || reportHash == 0) revert ZeroValue();
        a.info.valued = true;
        _maybeOpenNotice(assetId, a, r.noticeWindow);
        emit AssetValued(assetId, r.orgId, Valuation(valueFen, methodCode, reportHash), _state(assetId, a));
    }

    function recordCompliance(bytes32 assetId, bool passed, bytes32 reportHash) external {
        (AssetSlot storage a, Registrar memory r) = _registrarAct(assetId, AssetStatus.Registered);
        if (reportHash == 0) revert ZeroValue();
        a.info.compliance = passed ? ComplianceResult.Passed : ComplianceResult.Failed;
        _maybeOpenNotice(assetId, a, r.noticeWindow);
        emit ComplianceReviewed(assetId, r.orgId, reportHash, _state(assetId, a));
    }

    function lodgeObjection(bytes32 assetId, bytes32 reasonHash) external returns (bytes32 objectionId) {
        AssetSlot storage a = _asset(assetId);
        IOrgDirectory.Actor memory actor = _directory.actorOf(msg.sender);
        if (actor.orgId == 0) revert NotOrgOfKind(msg.sender, uint8(ILedgerDirectory.OrgKind.None));
        if (a.info.status != AssetStatus.InNotice) revert IllegalTransition(assetId, a.info.status, AssetStatus.InNotice);
        if (block.timestamp >= a.info.noticeEndsAt) revert NoticeWindowClosed(assetId, a.info.noticeEndsAt);
        if (reasonHash == 0) revert ZeroValue();
        if (a.info.openObjections == type(uint16).max) revert TooManyOpenObjections(assetId, type(uint16).max);
        bool foreign = actor.city != a.info.city;
        if (foreign) {
            ObjectorQuota storage q = _quotas[actor.orgId];
            if (block.timestamp >= uint256(q.periodStart) + FOREIGN_OBJECTION_PERIOD) {
                q.periodStart = uint40(block.timestamp);
                q.count = 0;
            }
            if (q.count >= FOREIGN_OBJECTIONS_PER_PERIOD) {
                revert ObjectionRateLimited(actor.orgId, uint64(q.periodStart) + FOREIGN_OBJECTION_PERIOD);
            }
            ++q.count;
        }
        objectionId = keccak256(abi.encode(assetId, actor.orgId, reasonHash));
        Objection storage o = _objections[objectionId];
        if (o.lodgedAt != 0) revert ObjectionExists(objectionId);
        o.assetId = assetId;
        o.objectorOrgId = actor.orgId;
        o.reasonHash = reasonHash;
        o.lodgedAt = uint64(block.timestamp);
        o.status = ObjectionStatus.Open;
        o.foreign = foreign;
        ++a.info.openObjections;
        emit ObjectionLodged(objectionId, actor.orgId, o, _state(assetId, a));
    }

    function resolveObjection(bytes32 objectionId, bool upheld, bytes32 resolutionHash) external {
        Objection storage o = _objections[objectionId];
        if (o.status != ObjectionStatus.Open) revert ObjectionNotOpen(objectionId, o.status);
        bytes32 assetId = o.assetId;
        AssetSlot storage a = _assets[assetId];
        bytes32 registrar = _actorIn(ILedgerDirectory.OrgKind.Registrar, a.info.city).orgId;
        o.status = upheld ? ObjectionStatus.Upheld : ObjectionStatus.Dismissed;
        o.resolutionHash = resolutionHash;
        --a.info.openObjections;
        if (upheld && a.info.status == AssetStatus.InNotice) _backToRegistered(assetId, a);
        emit ObjectionResolved(objectionId, registrar, o, _state(assetId, a));
    }

    function recordDispute(bytes32 assetId, bytes32 reasonHash) external {
        (AssetSlot storage a, bytes32 registrar) = _registrarLive(assetId);
        if (a.info.disputed) revert OwnershipDisputed(assetId);
        a.info.disputed = true;
        emit AssetChanged(assetId, registrar, AssetAction.DisputeRecorded, reasonHash, _state(assetId, a));
    }

    function resolveDispute(bytes32 assetId, bytes32 resolutionHash) external {
        (AssetSlot storage a, bytes32 registrar) = _registrarLive(assetId);
        if (!a.info.disputed) revert NoDispute(assetId);
        a.info.disputed = false;
        emit AssetChanged(assetId, registrar, AssetAction.DisputeResolved, resolutionHash, _state(assetId, a));
    }

    // ================================================================ certificates

    function issueCertificate(bytes32 assetId) external returns (bytes32) {
        (AssetSlot storage a, Registrar memory registrar) = _registrarAct(assetId, AssetStatus.InNotice);
        if (block.timestamp < a.info.noticeEndsAt) revert NoticeWindowOpen(assetId, a.info.noticeEndsAt);
        if (a.info.openObjections != 0) revert ObjectionsOpen(assetId, a.info.openObjections);
        if (a.info.disputed) revert OwnershipDisputed(assetId);
        _transition(assetId, a, AssetStatus.Certified);
        return _issue(assetId, a, registrar, RegistrationKind.Initial, 0, _currentMetadata(assetId, a));
    }

    function amendCertificate(bytes32 certificateId, RegistrationKind kind, bytes32 metadataHash)
        external
        returns (bytes32 newId)
    {
        (CertSlot storage c, AssetSlot storage a, Registrar memory registrar) = _currentCert(certificateId, false);
        bytes32 assetId = c.assetId;
        if (kind == RegistrationKind.Initial) revert InvalidRegistrationKind(kind);
        if (metadataHash == 0) revert ZeroValue();
        if (kind == RegistrationKind.Deregistration) {
            _requireUnpledged(assetId);
            _transition(assetId, a, AssetStatus.Deregistered);
        } else {
            if (a.info.disputed) revert OwnershipDisputed(assetId);
            a.info.amended = true;
            _amendedMetadata[assetId] = metadataHash;
        }
        newId = _supersede(certificateId, c, a, registrar, kind, metadataHash);
    }

    function reissueCertificate(bytes32 revokedId) external returns (bytes32 newId) {
        CertSlot storage c = _certs[revokedId];
        uint32 reason = c.info.revocationReason;
        if (c.info.revokedAt == 0 || c.info.superseded || (reason != REASON_REGISTRATION_ERROR && reason != REASON_KEY_COMPROMISED)) {
            revert NotReissuable(revokedId, reason);
        }
        (AssetSlot storage a, Registrar memory registrar) = _registrarAct(c.assetId, AssetStatus.Certified);
        if (a.currentCertificateId != revokedId) revert NotCurrentCertificate(revokedId, a.currentCertificateId);
        if (a.info.disputed) revert OwnershipDisputed(c.assetId);
        newId = _supersede(revokedId, c, a, registrar, c.info.kind, _certificateMetadata(revokedId, c));
    }

    function renewCertificate(bytes32 certificateId) external {
        (CertSlot storage c, AssetSlot storage a, Registrar memory r) = _currentCert(certificateId, true);
        if (a.info.disputed) revert OwnershipDisputed(c.assetId);
        uint64 from = c.info.validUntil > block.timestamp ? c.info.validUntil : uint64(block.timestamp);
        c.info.validUntil = uint40(from + r.certificateTerm);
        a.info.certificateValidUntil = c.info.validUntil;
        emit CertificateChanged(certificateId, r.orgId, CertificateAction.Renewed, _certView(certificateId, c));
    }

    function revokeCertificate(bytes32 certificateId, uint32 reasonCode) external {
        (CertSlot storage c, AssetSlot storage a, Registrar memory r) = _currentCert(certificateId, true);
        bytes32 registrar = r.orgId;
        if (reasonCode == 0 || reasonCode == REASON_DISPOSED) revert InvalidRevocationReason(reasonCode);
        bytes32 assetId = c.assetId;
        _revoke(c, a, reasonCode);
        bool reissuable = reasonCode == REASON_REGISTRATION_ERROR || reasonCode == REASON_KEY_COMPROMISED;
        if (!reissuable) _backToRegistered(assetId, a);
        emit CertificateChanged(certificateId, registrar, CertificateAction.Revoked, _certView(certificateId, c));
        emit AssetChanged(
            assetId,
            registrar,
            reissuable ? AssetAction.CertificateSuspended : AssetAction.ReturnedToRegistered,
            certificateId,
            _state(assetId, a)
        );
    }

    function certificateStatus(bytes32 certificateId) external view returns (CertificateStatus) {
        return _status(_certs[certificateId]);
    }

    function certificateDigest(bytes32 certificateId) public view returns (bytes32) {
        CertSlot storage c = _certs[certificateId];
        return _hashTypedDataV4(keccak256(abi.encode(CERTIFICATE_TYPEHASH, _document(certificateId, c))));
    }

    // ================================================================ recognition

    function recognise(bytes32 certificateId) external {
        uint32 actor = _recogniser(certificateId, true);
        mapping(uint32 => bool) storage r = _recognitions[certificateId];
        if (r[actor]) revert AlreadyRecognised(certificateId, actor);
        r[actor] = true;
        emit CertificateRecognised(certificateId, actor);
    }

    function withdrawRecognition(bytes32 certificateId) external {
        uint32 actor = _recogniser(certificateId, false);
        if (!_recognitions[certificateId][actor]) revert NotRecognised(certificateId, actor);
        _recognitions[certificateId][actor] = false;
        emit RecognitionWithdrawn(certificateId, actor);
    }

    function isRecognised(bytes32 certificateId, bytes32 orgId) external view returns (bool) {
        CertSlot storage c = _certs[certificateId];
        return _recognised(certificateId, c, _status(c), orgId, _directory.registrarOf(c.info.city));
    }

    // ================================================================ disposal

    function markDisposed(bytes32 assetId, bytes32 registrarOrgId) external {
        if (msg.sender != _useAndFinance) revert NotUseAndFinance(msg.sender);
        AssetSlot storage a = _asset(assetId);
        bytes32 certId = a.currentCertificateId;
        CertSlot storage c = _certs[certId];
        CertificateStatus s = _status(c);
        bool revoke = s == CertificateStatus.Active || s == CertificateStatus.Expired;
        if (revoke) _revoke(c, a, REASON_DISPOSED);
        _transition(assetId, a, AssetStatus.Disposed);
        if (revoke) emit CertificateChanged(certId, registrarOrgId, CertificateAction.Revoked, _certView(certId, c));
        emit AssetChanged(assetId, registrarOrgId, AssetAction.Disposed, 0, _state(assetId, a));
    }

    // ================================================================ narrow views

    function usability(bytes32 assetId) external view returns (Usability part, uint32 city) {
        AssetSlot storage a = _assets[assetId];
        return (_usability(a), a.info.city);
    }

    function holderOf(bytes32 assetId) external view returns (bytes32 holderOrgId, uint32 city) {
        AssetSlot storage a = _assets[assetId];
        if (a.info.holderIndex == 0) return (0, 0);
        return (_directory.orgIdAt(a.info.holderIndex), a.info.city);
    }

    function directory() external view returns (address) {
        return address(_directory);
    }

    function useAndFinance() external view returns (address) {
        return _useAndFinance;
    }

    function assetState(bytes32 assetId) external view returns (AssetState memory) {
        return _state(assetId, _assets[assetId]);
    }

    function batch(bytes32 batchId) external view returns (Batch memory) {
        return _batches[batchId];
    }

    function objection(bytes32 objectionId) external view returns (Objection memory) {
        return _objections[objectionId];
    }

    function certificate(bytes32 certificateId) external view returns (Certificate memory) {
        return _certView(certificateId, _certs[certificateId]);
    }

    /// @notice The EIP-712 domain separator (recomputed if the chain id changes).
    function domainSeparator() public view returns (bytes32) {
        return block.chainid == _cachedChainId ? _cachedDomainSeparator : _buildDomainSeparator();
    }

    function _buildDomainSeparator() private view returns (bytes32) {
        return keccak256(abi.encode(DOMAIN_TYPEHASH, NAME_HASH, VERSION_HASH, block.chainid, address(this)));
    }

    function _hashTypedDataV4(bytes32 structHash) private view returns (bytes32) {
        return MessageHashUtils.toTypedDataHash(domainSeparator(), structHash);
    }

    // ================================================================ internals: actors

    function _actorOf(ILedgerDirectory.OrgKind kind) private view returns (IOrgDirectory.Actor memory a) {
        a = _directory.actorOf(msg.sender);
        if (a.kind != kind) revert NotOrgOfKind(msg.sender, uint8(kind));
    }

    function _actorIn(ILedgerDirectory.OrgKind kind, uint32 city) private view returns (IOrgDirectory.Actor memory a) {
        a = _actorOf(kind);
        if (a.city != city) revert WrongCity(city, a.city);
    }

    /// @dev The registrar of the asset's city (with its terms) acting on an asset in `required`.
    function _registrarAct(bytes32 assetId, AssetStatus required)
        private
        view
        returns (AssetSlot storage a, Registrar memory r)
    {
        a = _asset(assetId);
        (IOrgDirectory.Actor memory actor, uint64 notice, uint64 term) = _directory.actorWithTerms(msg.sender);
        if (actor.kind != ILedgerDirectory.OrgKind.Registrar) {
            revert NotOrgOfKind(msg.sender, uint8(ILedgerDirectory.OrgKind.Registrar));
        }
        if (actor.city != a.info.city) revert WrongCity(a.info.city, actor.city);
        if (a.info.status != required) revert IllegalTransition(assetId, a.info.status, required);
        r = Registrar(actor.orgId, notice, term);
    }

    function _registrarLive(bytes32 assetId) private view returns (AssetSlot storage a, bytes32 registrar) {
        a = _asset(assetId);
        registrar = _actorIn(ILedgerDirectory.OrgKind.Registrar, a.info.city).orgId;
        _requireNotEnded(assetId, a);
    }

    /// @dev The recognising organisation's index (a registrar of another city or an exchange);
    /// with `active`, the certificate must be Active. Reads the certificate's info slot once
    /// (CertInfo bits: issuedAt 0-39, validUntil 40-79, revokedAt 80-119, city 152-183,
    /// superseded 192-199).
    function _recogniser(bytes32 certificateId, bool active) private view returns (uint32 index) {
        ILedgerDirectory.OrgKind kind;
        uint32 city;
        (index, kind, city) = _directory.actorInfo(msg.sender);
        if (kind != ILedgerDirectory.OrgKind.Registrar && kind != ILedgerDirectory.OrgKind.Exchange) {
            revert KindNotAllowed(msg.sender, uint8(kind));
        }
        CertSlot storage c = _certs[certificateId];
        uint256 w;
        assembly ("memory-safe") {
            w := sload(add(c.slot, 1))
        }
        if (kind == ILedgerDirectory.OrgKind.Registrar && city == uint32(w >> 152)) revert SelfRecognition(index);
        if (active && (uint40(w) == 0 || uint40(w >> 80) != 0 || uint8(w >> 192) != 0 || block.timestamp >= uint40(w >> 40)))
        {
            revert CertificateNotActive(certificateId, _status(c));
        }
    }

    // ================================================================ internals: assets

    function _asset(bytes32 assetId) private view returns (AssetSlot storage a) {
        a = _assets[assetId];
        if (a.info.status == AssetStatus.None) revert UnknownAsset(assetId);
    }

    function _requireNotEnded(bytes32 assetId, AssetSlot storage a) private view {
        if (a.info.status >= AssetStatus.Disposed) revert IllegalTransition(assetId, a.info.status, AssetStatus.Certified);
    }

    function _requireUnpledged(bytes32 assetId) private view {
        address uaf = _useAndFinance;
        if (uaf == address(0)) return;
        bytes32 pledge = IPledgeView(uaf).pledgeOf(assetId);
        if (pledge != 0) revert AssetPledged(assetId, pledge);
    }

    /// @dev The one transition function of the asset state machine.
    function _transition(bytes32 assetId, AssetSlot storage a, AssetStatus to) private {
        AssetStatus from = a.info.status;
        bool ok;
        if (to == AssetStatus.Registered) ok = from == AssetStatus.None || from == AssetStatus.InNotice || from == AssetStatus.Certified;
        else if (to == AssetStatus.InNotice) ok = from == AssetStatus.Registered;
        else if (to == AssetStatus.Certified) ok = from == AssetStatus.InNotice;
        else if (to == AssetStatus.Deregistered) ok = from == AssetStatus.Certified;
        else if (to == AssetStatus.Disposed) ok = from != AssetStatus.None && from < AssetStatus.Disposed;
        if (!ok) revert IllegalTransition(assetId, from, to);
        a.info.status = to;
    }

    function _usability(AssetSlot storage a) private view returns (Usability) {
        return _usabilityOf(a.info);
    }

    function _usabilityOf(AssetInfo memory i) private view returns (Usability) {
        AssetStatus s = i.status;
        if (s == AssetStatus.None) return Usability.UnknownAsset;
        if (s == AssetStatus.Disposed) return Usability.Disposed;
        if (s == AssetStatus.Deregistered) return Usability.Deregistered;
        if (s != AssetStatus.Certified) return Usability.NotCertified;
        if (i.certificateRevoked) return Usability.CertificateRevoked;
        if (block.timestamp >= i.certificateValidUntil) return Usability.CertificateExpired;
        if (i.disputed) return Usability.Disputed;
        return Usability.Usable;
    }

    function _currentMetadata(bytes32 assetId, AssetSlot storage a) private view returns (bytes32) {
        return a.info.amended ? _amendedMetadata[assetId] : a.metadataHash;
    }

    function _state(bytes32 assetId, AssetSlot storage a) private view returns (AssetState memory s) {
        s.status = a.info.status;
        s.compliance = a.info.compliance;
        s.valued = a.info.valued;
        s.disputed = a.info.disputed;
        s.certificateRevoked = a.info.certificateRevoked;
        s.openObjections = a.info.openObjections;
        s.nonce = a.info.nonce;
        s.noticeEndsAt = a.info.noticeEndsAt;
        s.certificateValidUntil = a.info.certificateValidUntil;
        s.currentCertificateId = a.currentCertificateId;
        s.metadataHash = _currentMetadata(assetId, a);
    }

    function _leaf(bytes32 catalogueHash, bytes32 metadataHash, uint32 domainCode) private pure returns (bytes32) {
        return keccak256(bytes.concat(keccak256(abi.encode(catalogueHash, metadataHash, domainCode))));
    }

    function _register(
        IOrgDirectory.Actor memory holder,
        bytes32 batchId,
        bytes32 catalogueHash,
        bytes32 metadataHash,
        uint32 domainCode
    ) private returns (bytes32 assetId) {
        if (catalogueHash == 0 || metadataHash == 0) revert ZeroValue();
        assetId = keccak256(abi.encode(holder.orgId, domainCode, catalogueHash));
        AssetSlot storage a = _assets[assetId];
        if (a.info.status != AssetStatus.None) revert AssetExists(assetId);
        a.metadataHash = metadataHash;
        a.info.holderIndex = holder.index;
        a.info.city = holder.city;
        a.info.status = AssetStatus.Registered;
        AssetState memory s;
        s.status = AssetStatus.Registered;
        s.metadataHash = metadataHash;
        emit ResourceRegistered(
            assetId, holder.orgId, Resource(holder.orgId, catalogueHash, metadataHash, batchId, domainCode, holder.city), s
        );
    }

    function _maybeOpenNotice(bytes32 assetId, AssetSlot storage a, uint64 window) private {
        if (a.info.valued && a.info.compliance == ComplianceResult.Passed) {
            _transition(assetId, a, AssetStatus.InNotice);
            a.info.noticeEndsAt = uint40(block.timestamp + window);
        }
    }

    function _backToRegistered(bytes32 assetId, AssetSlot storage a) private {
        _transition(assetId, a, AssetStatus.Registered);
        a.info.compliance = ComplianceResult.None;
        a.info.noticeEndsAt = 0;
    }

    // ================================================================ internals: certificates

    function _status(CertSlot storage c) private view returns (CertificateStatus) {
        return _statusOf(c.info);
    }

    function _statusOf(CertInfo memory i) private view returns (CertificateStatus) {
        if (i.issuedAt == 0) return CertificateStatus.Unknown;
        if (i.revokedAt != 0) return CertificateStatus.Revoked;
        if (i.superseded) return CertificateStatus.Superseded;
        if (block.timestamp >= i.validUntil) return CertificateStatus.Expired;
        return CertificateStatus.Active;
    }

    function _certificateMetadata(bytes32 certificateId, CertSlot storage c) private view returns (bytes32) {
        return c.info.ownMetadata ? _certMetadata[certificateId] : _assets[c.assetId].metadataHash;
    }

    function _document(bytes32 certificateId, CertSlot storage c) private view returns (CertificateDocument memory d) {
        d.certificateId = certificateId;
        d.assetId = c.assetId;
        d.registrarOrgId = _directory.registrarOf(c.info.city);
        uint32 holderIndex = _assets[c.assetId].info.holderIndex;
        d.holderOrgId = holderIndex == 0 ? bytes32(0) : _directory.orgIdAt(holderIndex);
        d.metadataHash = _certificateMetadata(certificateId, c);
        d.kind = uint8(c.info.kind);
        d.issuedAt = c.info.issuedAt;
    }

    function _certView(bytes32 certificateId, CertSlot storage c) private view returns (Certificate memory v) {
        CertificateDocument memory d = _document(certificateId, c);
        v.assetId = d.assetId;
        v.registrarOrgId = d.registrarOrgId;
        v.holderOrgId = d.holderOrgId;
        v.metadataHash = d.metadataHash;
        v.replacedBy = _replacedBy[certificateId];
        v.supersedes = _supersedes[certificateId];
        v.issuedAt = c.info.issuedAt;
        v.validUntil = c.info.validUntil;
        v.revokedAt = c.info.revokedAt;
        v.revocationReason = c.info.revocationReason;
        v.kind = c.info.kind;
    }

    /// @dev The asset's current certificate (Active, or also Expired with `expiredToo`), acted
    /// on by its city's registrar; the asset must be Certified.
    function _currentCert(bytes32 certificateId, bool expiredToo)
        private
        view
        returns (CertSlot storage c, AssetSlot storage a, Registrar memory registrar)
    {
        c = _certs[certificateId];
        CertificateStatus s = _status(c);
        if (s != CertificateStatus.Active && !(expiredToo && s == CertificateStatus.Expired)) {
            revert CertificateNotActive(certificateId, s);
        }
        (a, registrar) = _registrarAct(c.assetId, AssetStatus.Certified);
        if (a.currentCertificateId != certificateId) revert NotCurrentCertificate(certificateId, a.currentCertificateId);
    }

    function _issue(
        bytes32 assetId,
        AssetSlot storage a,
        Registrar memory r,
        RegistrationKind kind,
        bytes32 supersedes,
        bytes32 metadataHash
    ) private returns (bytes32 id) {
        bytes32 registrar = r.orgId;
        uint64 term = r.certificateTerm;
        id = keccak256(abi.encode(registrar, assetId, a.info.nonce++));
        CertSlot storage c = _certs[id];
        c.assetId = assetId;
        c.info.issuedAt = uint40(block.timestamp);
        c.info.validUntil = uint40(block.timestamp + term);
        c.info.city = a.info.city;
        c.info.kind = kind;
        if (metadataHash != a.metadataHash) {
            c.info.ownMetadata = true;
            _certMetadata[id] = metadataHash;
        }
        if (supersedes != 0) _supersedes[id] = supersedes;
        a.currentCertificateId = id;
        a.info.certificateValidUntil = c.info.validUntil;
        a.info.certificateRevoked = false;
        Certificate memory v;
        v.assetId = assetId;
        v.registrarOrgId = registrar;
        v.holderOrgId = _directory.orgIdAt(a.info.holderIndex);
        v.metadataHash = metadataHash;
        v.supersedes = supersedes;
        v.issuedAt = c.info.issuedAt;
        v.validUntil = c.info.validUntil;
        v.kind = kind;
        emit CertificateIssued(id, registrar, v, _state(assetId, a));
    }

    /// @dev A new certificate replaces the current one (amendment or re-issue); the old
    /// certificate's event comes after every write.
    function _supersede(
        bytes32 oldId,
        CertSlot storage old,
        AssetSlot storage a,
        Registrar memory registrar,
        RegistrationKind kind,
        bytes32 metadataHash
    ) private returns (bytes32 newId) {
        bytes32 assetId = old.assetId;
        old.info.superseded = true;
        // the new id is known before issue: write the link first, then emit both records
        newId = keccak256(abi.encode(registrar.orgId, assetId, a.info.nonce));
        _replacedBy[oldId] = newId;
        _issue(assetId, a, registrar, kind, oldId, metadataHash);
        emit CertificateChanged(oldId, registrar.orgId, CertificateAction.Superseded, _certView(oldId, old));
    }

    function _revoke(CertSlot storage c, AssetSlot storage a, uint32 reasonCode) private {
        c.info.revokedAt = uint40(block.timestamp);
        c.info.revocationReason = reasonCode;
        a.info.certificateRevoked = true;
    }

    function _recognised(bytes32 certificateId, CertSlot storage c, CertificateStatus s, bytes32 orgId, bytes32 issuer)
        private
        view
        returns (bool)
    {
        if (s != CertificateStatus.Active || orgId == 0) return false;
        if (orgId == issuer || _recognitions[certificateId][_directory.org(orgId).index]) return true;
        return c.info.city != 0 && _directory.agreementActive(issuer, orgId);
    }
}
