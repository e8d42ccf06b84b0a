// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";
import {IAssetRegistry} from "./interfaces/IAssetRegistry.sol";

/// @title AssetRegistry
/// @notice See {IAssetRegistry} for the documentation of every function, id formula and rule.
contract AssetRegistry is IAssetRegistry, EIP712 {
    /// @notice Default public notice window.
    uint64 internal constant DEFAULT_NOTICE_WINDOW = 10 days;
    /// @notice Default certificate term (three years).
    uint64 internal constant DEFAULT_CERTIFICATE_TERM = 3 * 365 days;
    /// @notice Revocation reason code recorded when an asset is disposed of.
    uint32 internal constant REASON_DISPOSED = 1;
    /// @notice EIP-712 type of the portable certificate document.
    bytes32 public constant CERTIFICATE_TYPEHASH = keccak256(
        "Certificate(bytes32 certificateId,bytes32 assetId,bytes32 registrarOrgId,bytes32 holderOrgId,bytes32 metadataHash,uint8 kind,uint64 issuedAt)"
    );

    address private immutable _admin;

    mapping(bytes32 => Org) private _orgs;
    mapping(uint32 => bytes32) private _registrarOf;
    mapping(address => SigningAccount) private _accounts;
    mapping(bytes32 => RegistrarTerms) private _terms;
    mapping(bytes32 => Batch) private _batches;
    mapping(bytes32 => Asset) private _assets;
    mapping(bytes32 => Objection) private _objections;
    mapping(bytes32 => Certificate) private _certs;
    mapping(bytes32 => mapping(bytes32 => bool)) private _recognitions;
    mapping(bytes32 => Agreement) private _agreements;
    mapping(bytes32 => Application) private _applications;
    mapping(bytes32 => Financing) private _financings;

    constructor(address consortiumAdmin_) EIP712("DataAssetLedger", "1") {
        _admin = consortiumAdmin_;
    }

    // ================================================================ organisations

    function admitRegistrar(uint32 city, bytes32 nameHash, address account) external returns (bytes32 orgId) {
        if (msg.sender != _admin) revert NotConsortiumAdmin(msg.sender);
        bytes32 existing = _registrarOf[city];
        if (existing != 0) revert RegistrarExists(city, existing);
        orgId = _newOrg(OrgKind.Registrar, city, nameHash, account, 0);
        _registrarOf[city] = orgId;
    }

    function admitOrg(OrgKind kind, bytes32 nameHash, address account) external returns (bytes32 orgId) {
        bytes32 registrar = _actorOf(OrgKind.Registrar);
        if (kind == OrgKind.None || kind == OrgKind.Registrar) revert InvalidOrgKind(kind);
        orgId = _newOrg(kind, _orgs[registrar].city, nameHash, account, registrar);
    }

    function setOrgActive(bytes32 orgId, bool active) external {
        Org storage o = _knownOrg(orgId);
        bytes32 actor = _managerOf(orgId, o, false);
        o.active = active;
        emit OrgActivationChanged(orgId, actor, o);
    }

    function addSigningAccount(bytes32 orgId, address account, uint64 validUntil) external {
        bytes32 actor = _managerOf(orgId, _knownOrg(orgId), true);
        _addAccount(orgId, account, validUntil, actor);
    }

    function removeSigningAccount(address account) external {
        SigningAccount storage acc = _accounts[account];
        if (!_live(acc, uint64(block.timestamp))) revert AccountNotLive(account);
        bytes32 actor = _managerOf(acc.orgId, _orgs[acc.orgId], true);
        acc.validUntil = uint64(block.timestamp);
        emit SigningAccountRemoved(account, actor, acc);
    }

    function setRegistrarTerms(uint64 noticeWindow, uint64 certificateTerm) external {
        bytes32 registrar = _actorOf(OrgKind.Registrar);
        RegistrarTerms storage t = _terms[registrar];
        t.noticeWindow = noticeWindow;
        t.certificateTerm = certificateTerm;
        emit RegistrarTermsSet(registrar, t);
    }

    // ================================================================ resources

    function registerResource(bytes32 catalogueHash, bytes32 metadataHash, uint32 domainCode)
        external
        returns (bytes32)
    {
        bytes32 holder = _actorOf(OrgKind.Holder);
        return _register(holder, 0, catalogueHash, metadataHash, domainCode);
    }

    function registerResourceBatch(bytes32 root, uint32 count, bytes32 manifestHash)
        external
        returns (bytes32 batchId)
    {
        bytes32 holder = _actorOf(OrgKind.Holder);
        if (root == 0 || count == 0) revert ZeroValue();
        batchId = keccak256(abi.encode(holder, root));
        Batch storage b = _batches[batchId];
        if (b.registeredAt != 0) revert BatchExists(batchId);
        b.holderOrgId = holder;
        b.root = root;
        b.manifestHash = manifestHash;
        b.city = _orgs[holder].city;
        b.count = count;
        b.registeredAt = uint64(block.timestamp);
        emit ResourceBatchRegistered(batchId, holder, b);
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
        bytes32 holder = _actorOf(OrgKind.Holder);
        if (holder != b.holderOrgId) revert NotHolder(batchId, holder);
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

    // ================================================================ evaluation and notice

    function recordValuation(bytes32 assetId, uint128 valueFen, uint32 methodCode, bytes32 reportHash) external {
        (Asset storage a, bytes32 registrar) = _registrarAct(assetId, AssetStatus.Registered);
        if (valueFen == 0 || reportHash == 0) revert ZeroValue();
        a.valueFen = valueFen;
        a.valuationMethod = methodCode;
        a.valuationReportHash = reportHash;
        emit AssetValued(assetId, registrar, a);
        _maybeOpenNotice(assetId, a, registrar);
    }

    function recordCompliance(bytes32 assetId, bool passed, bytes32 reportHash) external {
        (Asset storage a, bytes32 registrar) = _registrarAct(assetId, AssetStatus.Registered);
        if (reportHash == 0) revert ZeroValue();
        a.compliance = passed ? ComplianceResult.Passed : ComplianceResult.Failed;
        a.complianceReportHash = reportHash;
        emit ComplianceReviewed(assetId, registrar, a);
        _maybeOpenNotice(assetId, a, registrar);
    }

    function lodgeObjection(bytes32 assetId, bytes32 reasonHash) external returns (bytes32 objectionId) {
        Asset storage a = _asset(assetId);
        (bytes32 actor,) = _anyActorKind();
        _requireStatus(assetId, a, AssetStatus.InNotice);
        if (block.timestamp >= a.noticeEndsAt) revert NoticeWindowClosed(assetId, a.noticeEndsAt);
        if (reasonHash == 0) revert ZeroValue();
        objectionId = keccak256(abi.encode(assetId, actor, reasonHash));
        Objection storage o = _objections[objectionId];
        if (o.lodgedAt != 0) revert ObjectionExists(objectionId);
        o.assetId = assetId;
        o.objectorOrgId = actor;
        o.reasonHash = reasonHash;
        o.lodgedAt = uint64(block.timestamp);
        o.status = ObjectionStatus.Open;
        ++a.openObjections;
        emit ObjectionLodged(objectionId, actor, o);
    }

    function resolveObjection(bytes32 objectionId, bool upheld, bytes32 resolutionHash) external {
        Objection storage o = _objections[objectionId];
        if (o.status != ObjectionStatus.Open) revert ObjectionNotOpen(objectionId, o.status);
        Asset storage a = _assets[o.assetId];
        bytes32 registrar = _actorIn(OrgKind.Registrar, a.city);
        o.status = upheld ? ObjectionStatus.Upheld : ObjectionStatus.Dismissed;
        o.resolutionHash = resolutionHash;
        --a.openObjections;
        if (upheld && a.status == AssetStatus.InNotice) {
            a.status = AssetStatus.Registered;
            a.compliance = ComplianceResult.None;
            a.noticeEndsAt = 0;
        }
        emit ObjectionResolved(objectionId, registrar, o);
    }

    function recordDispute(bytes32 assetId, bytes32 reasonHash) external {
        (Asset storage a, bytes32 registrar) = _registrarLive(assetId);
        if (a.disputed) revert OwnershipDisputed(assetId);
        a.disputed = true;
        emit DisputeRecorded(assetId, registrar, reasonHash, a);
    }

    function resolveDispute(bytes32 assetId, bytes32 resolutionHash) external {
        (Asset storage a, bytes32 registrar) = _registrarLive(assetId);
        if (!a.disputed) revert NoDispute(assetId);
        a.disputed = false;
        emit DisputeResolved(assetId, registrar, resolutionHash, a);
    }

    // ================================================================ certificates

    function issueCertificate(bytes32 assetId) external returns (bytes32) {
        (Asset storage a, bytes32 registrar) = _registrarAct(assetId, AssetStatus.InNotice);
        if (block.timestamp < a.noticeEndsAt) revert NoticeWindowOpen(assetId, a.noticeEndsAt);
        if (a.openObjections != 0) revert ObjectionsOpen(assetId, a.openObjections);
        if (a.disputed) revert OwnershipDisputed(assetId);
        a.status = AssetStatus.Certified;
        return _issue(assetId, a, registrar, RegistrationKind.Initial);
    }

    function amendCertificate(bytes32 certificateId, RegistrationKind kind, bytes32 metadataHash)
        external
        returns (bytes32 newId)
    {
        (Certificate storage c, Asset storage a, bytes32 registrar) = _currentCert(certificateId);
        if (kind == RegistrationKind.Initial) revert InvalidRegistrationKind(kind);
        if (metadataHash == 0) revert ZeroValue();
        if (kind == RegistrationKind.Deregistration) {
            _requireUnpledged(c.assetId, a);
            a.status = AssetStatus.Deregistered;
            a.paidUseApproved = false;
        } else {
            if (a.disputed) revert OwnershipDisputed(c.assetId);
            a.metadataHash = metadataHash;
        }
        newId = _issue(c.assetId, a, registrar, kind);
        _certs[newId].metadataHash = metadataHash;
        c.replacedBy = newId;
        emit CertificateSuperseded(certificateId, registrar, c);
        if (kind == RegistrationKind.Deregistration) emit AssetDeregistered(c.assetId, registrar, a);
    }

    function renewCertificate(bytes32 certificateId) external {
        Certificate storage c = _certs[certificateId];
        CertificateStatus s = _status(c);
        if (s != CertificateStatus.Active && s != CertificateStatus.Expired) {
            revert CertificateNotActive(certificateId, s);
        }
        (Asset storage a, bytes32 registrar) = _registrarAct(c.assetId, AssetStatus.Certified);
        if (a.disputed) revert OwnershipDisputed(c.assetId);
        uint64 from = c.validUntil > block.timestamp ? c.validUntil : uint64(block.timestamp);
        c.validUntil = from + _term(registrar);
        emit CertificateRenewed(certificateId, registrar, c);
    }

    function revokeCertificate(bytes32 certificateId, uint32 reasonCode) external {
        (Certificate storage c,, bytes32 registrar) = _currentCert(certificateId);
        _revoke(certificateId, c, reasonCode, registrar);
    }

    function certificateStatus(bytes32 certificateId) external view returns (CertificateStatus) {
        return _status(_certs[certificateId]);
    }

    function verify(bytes32 certificateId, bytes32 byOrgId) external view returns (Verification memory v) {
        Certificate storage c = _certs[certificateId];
        v.status = _status(c);
        v.kind = c.kind;
        v.assetId = c.assetId;
        v.registrarOrgId = c.registrarOrgId;
        v.holderOrgId = c.holderOrgId;
        v.validUntil = c.validUntil;
        v.revocationReason = c.revocationReason;
        v.replacedBy = c.replacedBy;
        v.pledged = _assets[c.assetId].pledgeId != 0;
        v.recognised = _recognised(certificateId, c, v.status, byOrgId);
    }

    function certificateDigest(bytes32 certificateId) public view returns (bytes32) {
        Certificate storage c = _certs[certificateId];
        return _hashTypedDataV4(
            keccak256(
                abi.encode(
                    CERTIFICATE_TYPEHASH,
                    certificateId,
                    c.assetId,
                    c.registrarOrgId,
                    c.holderOrgId,
                    c.metadataHash,
                    uint8(c.kind),
                    c.issuedAt
                )
            )
        );
    }

    function verifyCertificateSignature(CertificateDocument calldata doc, bytes calldata signature)
        external
        view
        returns (bool valid, address signer)
    {
        bytes32 digest = certificateDigest(doc.certificateId);
        ECDSA.RecoverError err;
        (signer, err,) = ECDSA.tryRecover(digest, signature);
        Certificate storage c = _certs[doc.certificateId];
        SigningAccount storage acc = _accounts[signer];
        valid = err == ECDSA.RecoverError.NoError && c.issuedAt != 0
            && _hashTypedDataV4(keccak256(abi.encode(CERTIFICATE_TYPEHASH, doc))) == digest
            && acc.orgId == c.registrarOrgId && _live(acc, c.issuedAt);
    }

    // ================================================================ mutual recognition

    function recognise(bytes32 certificateId) external {
        (bytes32 actor, Certificate storage c) = _recogniser(certificateId);
        CertificateStatus s = _status(c);
        if (s != CertificateStatus.Active) revert CertificateNotActive(certificateId, s);
        if (_recognitions[certificateId][actor]) revert AlreadyRecognised(certificateId, actor);
        _recognitions[certificateId][actor] = true;
        emit CertificateRecognised(certificateId, actor);
    }

    function withdrawRecognition(bytes32 certificateId) external {
        (bytes32 actor,) = _recogniser(certificateId);
        if (!_recognitions[certificateId][actor]) revert NotRecognised(certificateId, actor);
        _recognitions[certificateId][actor] = false;
        emit RecognitionWithdrawn(certificateId, actor);
    }

    function proposeAgreement(bytes32 partnerRegistrarOrgId) external returns (bytes32 id) {
        Agreement storage ag;
        bytes32 actor;
        (actor, id, ag) = _agreementWith(partnerRegistrarOrgId);
        if (ag.status == AgreementStatus.Proposed || ag.status == AgreementStatus.Active) {
            revert IllegalAgreementTransition(id, ag.status, AgreementStatus.Withdrawn);
        }
        ag.proposerOrgId = actor;
        ag.partnerOrgId = partnerRegistrarOrgId;
        _setAgreement(ag, AgreementStatus.Proposed);
        emit AgreementProposed(id, actor, ag);
    }

    function acceptAgreement(bytes32 proposerRegistrarOrgId) external returns (bytes32 id) {
        Agreement storage ag;
        bytes32 actor;
        (actor, id, ag) = _agreementWith(proposerRegistrarOrgId);
        if (ag.status != AgreementStatus.Proposed || ag.partnerOrgId != actor) {
            revert IllegalAgreementTransition(id, ag.status, AgreementStatus.Proposed);
        }
        _setAgreement(ag, AgreementStatus.Active);
        emit AgreementAccepted(id, actor, ag);
    }

    function withdrawAgreement(bytes32 partnerRegistrarOrgId) external returns (bytes32 id) {
        Agreement storage ag;
        bytes32 actor;
        (actor, id, ag) = _agreementWith(partnerRegistrarOrgId);
        if (ag.status != AgreementStatus.Proposed && ag.status != AgreementStatus.Active) {
            revert IllegalAgreementTransition(id, ag.status, AgreementStatus.Active);
        }
        _setAgreement(ag, AgreementStatus.Withdrawn);
        emit AgreementWithdrawn(id, actor, ag);
    }

    function isRecognised(bytes32 certificateId, bytes32 orgId) external view returns (bool) {
        Certificate storage c = _certs[certificateId];
        return _recognised(certificateId, c, _status(c), orgId);
    }

    // ================================================================ paid use

    function applyForPaidUse(bytes32 assetId, bytes32 scopeHash, bytes32 operatorOrgId)
        external
        returns (bytes32 id)
    {
        (Asset storage a, bytes32 holder) = _holderAct(assetId);
        _requireActiveCert(a);
        Org storage op = _orgs[operatorOrgId];
        if (op.kind != OrgKind.Operator) revert UnknownOrg(operatorOrgId);
        if (!op.active) revert OrgInactive(operatorOrgId);
        if (op.city != a.city) revert WrongCity(a.city, op.city);
        if (scopeHash == 0) revert ZeroValue();
        id = keccak256(abi.encode(holder, assetId, scopeHash, a.nonce++));
        Application storage ap = _applications[id];
        ap.assetId = assetId;
        ap.holderOrgId = holder;
        ap.operatorOrgId = operatorOrgId;
        ap.scopeHash = scopeHash;
        ap.appliedAt = uint64(block.timestamp);
        ap.status = ApplicationStatus.Applied;
        emit PaidUseApplied(id, holder, ap);
    }

    function reviewPaidUse(bytes32 id, bool approve, bytes32 reasonHash) external {
        Application storage ap = _openApplication(id);
        (bytes32 actor, OrgKind kind) = _anyActorKind();
        uint32 city = _assets[ap.assetId].city;
        if (kind == OrgKind.CompetentDepartment) {
            if (ap.competentApproved) revert AlreadyReviewed(id, kind);
            ap.competentApproved = approve;
        } else if (kind == OrgKind.DataAdministration) {
            if (ap.dataAdminApproved) revert AlreadyReviewed(id, kind);
            ap.dataAdminApproved = approve;
        } else {
            revert KindNotAllowed(msg.sender, kind);
        }
        _requireCity(actor, city);
        if (approve) {
            emit PaidUseReviewed(id, actor, ap);
        } else {
            _reject(id, ap, reasonHash, actor);
        }
    }

    function decidePaidUse(bytes32 id, bool approve, bytes32 reasonHash) external {
        Application storage ap = _openApplication(id);
        Asset storage a = _assets[ap.assetId];
        bytes32 finance = _actorIn(OrgKind.FinanceDepartment, a.city);
        if (!(ap.competentApproved && ap.dataAdminApproved)) {
            revert ReviewsIncomplete(id, ap.competentApproved, ap.dataAdminApproved);
        }
        if (!approve) return _reject(id, ap, reasonHash, finance);
        _requireActiveCert(a);
        ap.status = ApplicationStatus.Approved;
        ap.decidedAt = uint64(block.timestamp);
        a.operatorOrgId = ap.operatorOrgId;
        a.paidUseApproved = true;
        emit PaidUseApproved(id, finance, ap);
    }

    // ================================================================ financing and disposal

    function requestPledge(bytes32 assetId, bytes32 bankOrgId, uint128 amountFen, bytes32 contractHash)
        external
        returns (bytes32 id)
    {
        (Asset storage a, bytes32 holder) = _holderAct(assetId);
        _requireActiveCert(a);
        _requireUnpledged(assetId, a);
        Org storage bank = _orgs[bankOrgId];
        if (bank.kind != OrgKind.Bank) revert UnknownOrg(bankOrgId);
        if (bank.city != a.city) revert WrongCity(a.city, bank.city);
        Financing storage f;
        (id, f) = _newFinancing(assetId, a, bankOrgId, FinancingKind.Pledge, amountFen, contractHash);
        f.status = FinancingStatus.Requested;
        emit PledgeRequested(id, holder, f);
    }

    function confirmPledge(bytes32 id) external {
        (Financing storage f, Asset storage a, bytes32 bank) = _bankAct(id, FinancingStatus.Requested);
        _requireActiveCert(a);
        _requireUnpledged(f.assetId, a);
        f.status = FinancingStatus.Active;
        a.pledgeId = id;
        emit PledgeConfirmed(id, bank, f);
    }

    function releasePledge(bytes32 id) external {
        (Financing storage f, Asset storage a, bytes32 bank) = _bankAct(id, FinancingStatus.Active);
        f.status = FinancingStatus.Released;
        a.pledgeId = 0;
        emit PledgeReleased(id, bank, f);
    }

    function recordCreditLine(bytes32 assetId, uint128 amountFen, bytes32 agreementHash)
        external
        returns (bytes32 id)
    {
        Asset storage a = _asset(assetId);
        bytes32 bank = _actorIn(OrgKind.Bank, a.city);
        _requireActiveCert(a);
        Financing storage f;
        (id, f) = _newFinancing(assetId, a, bank, FinancingKind.CreditLine, amountFen, agreementHash);
        f.status = FinancingStatus.Recorded;
        emit CreditLineRecorded(id, bank, f);
    }

    function recordEquityContribution(bytes32 assetId, uint128 valuationFen, bytes32 investeeHash)
        external
        returns (bytes32 id)
    {
        (Asset storage a, bytes32 holder) = _holderAct(assetId);
        _requireActiveCert(a);
        _requireUnpledged(assetId, a);
        Financing storage f;
        (id, f) = _newFinancing(assetId, a, holder, FinancingKind.EquityContribution, valuationFen, investeeHash);
        f.status = FinancingStatus.Recorded;
        emit EquityContributed(id, holder, f);
    }

    function requestDisposal(bytes32 assetId, bytes32 reasonHash) external {
        (Asset storage a, bytes32 holder) = _holderAct(assetId);
        _requireUnpledged(assetId, a);
        if (reasonHash == 0) revert ZeroValue();
        a.disposalReasonHash = reasonHash;
        emit DisposalRequested(assetId, holder, a);
    }

    function confirmDisposal(bytes32 assetId) external {
        (Asset storage a, bytes32 registrar) = _registrarLive(assetId);
        if (a.disposalReasonHash == 0) revert ZeroValue();
        _requireUnpledged(assetId, a);
        bytes32 certId = a.currentCertificateId;
        Certificate storage c = _certs[certId];
        CertificateStatus s = _status(c);
        if (s == CertificateStatus.Active || s == CertificateStatus.Expired) {
            _revoke(certId, c, REASON_DISPOSED, registrar);
        }
        a.status = AssetStatus.Disposed;
        a.paidUseApproved = false;
        emit AssetDisposed(assetId, registrar, a);
    }

    // ================================================================ views

    function consortiumAdmin() external view returns (address) {
        return _admin;
    }

    function accountOrg(address account)
        external
        view
        returns (bytes32 orgId, OrgKind kind, uint32 city, bool active)
    {
        SigningAccount storage acc = _accounts[account];
        if (!_live(acc, uint64(block.timestamp))) return (0, OrgKind.None, 0, false);
        Org storage o = _orgs[acc.orgId];
        return (acc.orgId, o.kind, o.city, o.active);
    }

    function paymentContext(bytes32 assetId) external view returns (PaymentContext memory p) {
        Asset storage a = _assets[assetId];
        p.exists = a.registeredAt != 0;
        p.city = a.city;
        p.holderOrgId = a.holderOrgId;
        p.operatorOrgId = a.operatorOrgId;
        p.paidUseApproved = a.paidUseApproved;
        p.disposed = a.status == AssetStatus.Disposed;
    }

    function org(bytes32 orgId) external view returns (Org memory) {
        return _orgs[orgId];
    }

    function registrarOf(uint32 city) external view returns (bytes32) {
        return _registrarOf[city];
    }

    function signingAccount(address account) external view returns (SigningAccount memory) {
        return _accounts[account];
    }

    function registrarTerms(bytes32 registrarOrgId) external view returns (RegistrarTerms memory) {
        return _terms[registrarOrgId];
    }

    function batch(bytes32 batchId) external view returns (Batch memory) {
        return _batches[batchId];
    }

    function asset(bytes32 assetId) external view returns (Asset memory) {
        return _assets[assetId];
    }

    function objection(bytes32 objectionId) external view returns (Objection memory) {
        return _objections[objectionId];
    }

    function certificate(bytes32 certificateId) external view returns (Certificate memory) {
        return _certs[certificateId];
    }

    function application(bytes32 applicationId) external view returns (Application memory) {
        return _applications[applicationId];
    }

    function agreement(bytes32 agreementId) external view returns (Agreement memory) {
        return _agreements[agreementId];
    }

    function financing(bytes32 financingId) external view returns (Financing memory) {
        return _financings[financingId];
    }

    // ================================================================ internals: actors

    function _live(SigningAccount storage acc, uint64 t) private view returns (bool) {
        return acc.orgId != 0 && acc.validFrom <= t && (acc.validUntil == 0 || t < acc.validUntil);
    }

    /// @dev The caller's active org, of any kind.
    function _anyActorKind() private view returns (bytes32 orgId, OrgKind kind) {
        SigningAccount storage acc = _accounts[msg.sender];
        if (!_live(acc, uint64(block.timestamp))) revert AccountNotLive(msg.sender);
        orgId = acc.orgId;
        Org storage o = _orgs[orgId];
        if (!o.active) revert OrgInactive(orgId);
        kind = o.kind;
    }

    /// @dev The caller's active org, which must be of `kind`.
    function _actorOf(OrgKind kind) private view returns (bytes32 orgId) {
        SigningAccount storage acc = _accounts[msg.sender];
        orgId = acc.orgId;
        Org storage o = _orgs[orgId];
        if (!_live(acc, uint64(block.timestamp)) || o.kind != kind) revert NotOrgOfKind(msg.sender, kind);
        if (!o.active) revert OrgInactive(orgId);
    }

    /// @dev The caller's active org of `kind` in `city`.
    function _actorIn(OrgKind kind, uint32 city) private view returns (bytes32 orgId) {
        orgId = _actorOf(kind);
        _requireCity(orgId, city);
    }

    function _requireCity(bytes32 orgId, uint32 city) private view {
        uint32 actual = _orgs[orgId].city;
        if (actual != city) revert WrongCity(city, actual);
    }

    function _knownOrg(bytes32 orgId) private view returns (Org storage o) {
        o = _orgs[orgId];
        if (o.kind == OrgKind.None) revert UnknownOrg(orgId);
    }

    /// @dev Who may manage `orgId`: the consortium admin (registrars) or the city's
    /// registrar (other orgs); with `self`, also the org's own live accounts.
    function _managerOf(bytes32 orgId, Org storage o, bool self) private view returns (bytes32) {
        SigningAccount storage acc = _accounts[msg.sender];
        bool callerLive = _live(acc, uint64(block.timestamp)) && _orgs[acc.orgId].active;
        if (self && callerLive && acc.orgId == orgId) return orgId;
        if (o.kind == OrgKind.Registrar) {
            if (msg.sender == _admin) return 0;
        } else if (callerLive && acc.orgId == _registrarOf[o.city]) {
            return acc.orgId;
        }
        revert NotOrgManager(msg.sender, orgId);
    }

    function _newOrg(OrgKind kind, uint32 city, bytes32 nameHash, address account, bytes32 actor)
        private
        returns (bytes32 orgId)
    {
        if (city == 0 || nameHash == 0) revert ZeroValue();
        orgId = keccak256(abi.encode(kind, city, nameHash));
        Org storage o = _orgs[orgId];
        if (o.kind != OrgKind.None) revert OrgExists(orgId);
        o.kind = kind;
        o.city = city;
        o.active = true;
        o.nameHash = nameHash;
        emit OrgAdmitted(orgId, actor, o);
        _addAccount(orgId, account, 0, actor);
    }

    function _addAccount(bytes32 orgId, address account, uint64 validUntil, bytes32 actor) private {
        SigningAccount storage acc = _accounts[account];
        if (acc.orgId != 0) revert AccountInUse(account, acc.orgId);
        if (account == address(0) || (validUntil != 0 && validUntil <= block.timestamp)) revert ZeroValue();
        acc.orgId = orgId;
        acc.validFrom = uint64(block.timestamp);
        acc.validUntil = validUntil;
        emit SigningAccountAdded(account, actor, acc);
    }

    // ================================================================ internals: assets

    function _asset(bytes32 assetId) private view returns (Asset storage a) {
        a = _assets[assetId];
        if (a.registeredAt == 0) revert UnknownAsset(assetId);
    }

    function _requireStatus(bytes32 assetId, Asset storage a, AssetStatus required) private view {
        if (a.status != required) revert IllegalTransition(assetId, a.status, required);
    }

    /// @dev Registrar of the asset's city acting on an asset in `required` status.
    function _registrarAct(bytes32 assetId, AssetStatus required)
        private
        view
        returns (Asset storage a, bytes32 registrar)
    {
        a = _asset(assetId);
        registrar = _actorIn(OrgKind.Registrar, a.city);
        _requireStatus(assetId, a, required);
    }

    /// @dev Registrar of the asset's city acting on an asset not yet disposed/deregistered.
    function _registrarLive(bytes32 assetId) private view returns (Asset storage a, bytes32 registrar) {
        a = _asset(assetId);
        registrar = _actorIn(OrgKind.Registrar, a.city);
        _requireNotEnded(assetId, a);
    }

    function _requireNotEnded(bytes32 assetId, Asset storage a) private view {
        if (a.status >= AssetStatus.Disposed) revert IllegalTransition(assetId, a.status, AssetStatus.Certified);
    }

    /// @dev The asset's holder acting on its own asset (not disposed/deregistered).
    function _holderAct(bytes32 assetId) private view returns (Asset storage a, bytes32 holder) {
        a = _asset(assetId);
        holder = _actorOf(OrgKind.Holder);
        if (holder != a.holderOrgId) revert NotHolder(assetId, holder);
        _requireNotEnded(assetId, a);
    }

    function _requireActiveCert(Asset storage a) private view {
        bytes32 certId = a.currentCertificateId;
        CertificateStatus s = _status(_certs[certId]);
        if (s != CertificateStatus.Active) revert CertificateNotActive(certId, s);
    }

    function _requireUnpledged(bytes32 assetId, Asset storage a) private view {
        if (a.pledgeId != 0) revert AssetPledged(assetId, a.pledgeId);
    }

    function _leaf(bytes32 catalogueHash, bytes32 metadataHash, uint32 domainCode) private pure returns (bytes32) {
        return keccak256(bytes.concat(keccak256(abi.encode(catalogueHash, metadataHash, domainCode))));
    }

    function _register(bytes32 holder, bytes32 batchId, bytes32 catalogueHash, bytes32 metadataHash, uint32 domainCode)
        private
        returns (bytes32 assetId)
    {
        if (catalogueHash == 0 || metadataHash == 0) revert ZeroValue();
        assetId = keccak256(abi.encode(holder, domainCode, catalogueHash));
        Asset storage a = _assets[assetId];
        if (a.registeredAt != 0) revert AssetExists(assetId);
        a.holderOrgId = holder;
        a.catalogueHash = catalogueHash;
        a.metadataHash = metadataHash;
        a.batchId = batchId;
        a.city = _orgs[holder].city;
        a.domainCode = domainCode;
        a.registeredAt = uint64(block.timestamp);
        a.status = AssetStatus.Registered;
        emit ResourceRegistered(assetId, holder, a);
    }

    function _maybeOpenNotice(bytes32 assetId, Asset storage a, bytes32 registrar) private {
        if (a.valueFen != 0 && a.compliance == ComplianceResult.Passed) {
            a.status = AssetStatus.InNotice;
            a.noticeEndsAt = uint64(block.timestamp) + _window(registrar);
            emit NoticeOpened(assetId, registrar, a);
        }
    }

    function _window(bytes32 registrar) private view returns (uint64 w) {
        w = _terms[registrar].noticeWindow;
        if (w == 0) w = DEFAULT_NOTICE_WINDOW;
    }

    function _term(bytes32 registrar) private view returns (uint64 t) {
        t = _terms[registrar].certificateTerm;
        if (t == 0) t = DEFAULT_CERTIFICATE_TERM;
    }

    // ================================================================ internals: certificates

    function _status(Certificate storage c) private view returns (CertificateStatus) {
        if (c.issuedAt == 0) return CertificateStatus.Unknown;
        if (c.revokedAt != 0) return CertificateStatus.Revoked;
        if (c.replacedBy != 0) return CertificateStatus.Superseded;
        if (block.timestamp >= c.validUntil) return CertificateStatus.Expired;
        return CertificateStatus.Active;
    }

    function _issue(bytes32 assetId, Asset storage a, bytes32 registrar, RegistrationKind kind)
        private
        returns (bytes32 id)
    {
        id = keccak256(abi.encode(registrar, assetId, a.nonce++));
        Certificate storage c = _certs[id];
        c.assetId = assetId;
        c.registrarOrgId = registrar;
        c.holderOrgId = a.holderOrgId;
        c.metadataHash = a.metadataHash;
        c.issuedAt = uint64(block.timestamp);
        c.validUntil = uint64(block.timestamp) + _term(registrar);
        c.kind = kind;
        a.currentCertificateId = id;
        emit CertificateIssued(id, registrar, c);
    }

    /// @dev The asset's current, Active certificate, acted on by its city's registrar.
    function _currentCert(bytes32 certificateId)
        private
        view
        returns (Certificate storage c, Asset storage a, bytes32 registrar)
    {
        c = _certs[certificateId];
        CertificateStatus s = _status(c);
        if (s != CertificateStatus.Active) revert CertificateNotActive(certificateId, s);
        (a, registrar) = _registrarAct(c.assetId, AssetStatus.Certified);
        if (a.currentCertificateId != certificateId) {
            revert NotCurrentCertificate(certificateId, a.currentCertificateId);
        }
    }

    function _revoke(bytes32 certificateId, Certificate storage c, uint32 reasonCode, bytes32 actor) private {
        c.revokedAt = uint64(block.timestamp);
        c.revocationReason = reasonCode;
        emit CertificateRevoked(certificateId, actor, c);
    }

    function _recogniser(bytes32 certificateId) private view returns (bytes32 actor, Certificate storage c) {
        OrgKind kind;
        (actor, kind) = _anyActorKind();
        if (kind != OrgKind.Registrar && kind != OrgKind.Exchange) revert KindNotAllowed(msg.sender, kind);
        c = _certs[certificateId];
        if (c.registrarOrgId == actor) revert SelfRecognition(actor);
    }

    function _recognised(bytes32 certificateId, Certificate storage c, CertificateStatus s, bytes32 orgId)
        private
        view
        returns (bool)
    {
        if (s != CertificateStatus.Active || orgId == 0) return false;
        bytes32 issuer = c.registrarOrgId;
        return orgId == issuer || _recognitions[certificateId][orgId]
            || _agreements[_agreementId(issuer, orgId)].status == AgreementStatus.Active;
    }

    function _agreementId(bytes32 a, bytes32 b) private pure returns (bytes32) {
        return a < b ? keccak256(abi.encode(a, b)) : keccak256(abi.encode(b, a));
    }

    function _agreementWith(bytes32 other) private view returns (bytes32 actor, bytes32 id, Agreement storage ag) {
        actor = _actorOf(OrgKind.Registrar);
        if (other == actor) revert SelfRecognition(actor);
        if (_orgs[other].kind != OrgKind.Registrar) revert UnknownOrg(other);
        id = _agreementId(actor, other);
        ag = _agreements[id];
    }

    function _setAgreement(Agreement storage ag, AgreementStatus s) private {
        ag.status = s;
        ag.updatedAt = uint64(block.timestamp);
    }

    // ================================================================ internals: paid use, financing

    function _openApplication(bytes32 id) private view returns (Application storage ap) {
        ap = _applications[id];
        if (ap.status != ApplicationStatus.Applied) {
            revert IllegalApplicationTransition(id, ap.status, ApplicationStatus.Applied);
        }
    }

    function _reject(bytes32 id, Application storage ap, bytes32 reasonHash, bytes32 actor) private {
        if (reasonHash == 0) revert ZeroValue();
        ap.status = ApplicationStatus.Rejected;
        ap.reasonHash = reasonHash;
        ap.decidedAt = uint64(block.timestamp);
        emit PaidUseRejected(id, actor, ap);
    }

    function _newFinancing(
        bytes32 assetId,
        Asset storage a,
        bytes32 counterparty,
        FinancingKind kind,
        uint128 amountFen,
        bytes32 documentHash
    ) private returns (bytes32 id, Financing storage f) {
        if (amountFen == 0 || documentHash == 0) revert ZeroValue();
        id = keccak256(abi.encode(assetId, counterparty, kind, a.nonce++));
        f = _financings[id];
        f.assetId = assetId;
        f.holderOrgId = a.holderOrgId;
        f.counterpartyOrgId = counterparty;
        f.documentHash = documentHash;
        f.amountFen = amountFen;
        f.recordedAt = uint64(block.timestamp);
        f.kind = kind;
    }

    function _bankAct(bytes32 id, FinancingStatus required)
        private
        view
        returns (Financing storage f, Asset storage a, bytes32 bank)
    {
        f = _financings[id];
        if (f.status != required || f.kind != FinancingKind.Pledge) {
            revert IllegalFinancingTransition(id, f.status, required);
        }
        a = _assets[f.assetId];
        bank = _actorIn(OrgKind.Bank, a.city);
        if (bank != f.counterpartyOrgId) revert NotCounterparty(id, bank);
    }
}
