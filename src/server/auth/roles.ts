export { ROLES, hasRole, isRole, type Role } from '../../core/roles.ts';
