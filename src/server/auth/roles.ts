export { ROLES, hasRole, isRole, rolesFrom, type Role } from '../../core/roles.ts';
