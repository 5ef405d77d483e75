-- Who belongs to which organization, and who works on which project.

create table public.organization_members (
  organization_id uuid not null references public.organizations (id) on delete cascade,
  profile_id uuid not null references public.profiles (id) on delete cascade,
  role public.member_role not null default 'member',
  joined_at timestamptz not null default now(),
  primary key (organization_id, profile_id)
);

-- The primary key serves lookups by organization; "my organizations" needs this one.
create index organization_members_profile_id_idx on public.organization_members (profile_id);

comment on table public.organization_members is 'Membership of a profile in an organization, with its role.';
comment on column public.organization_members.role is 'Owners and admins manage members; viewers are read-only.';

create table public.project_members (
  project_id bigint not null references public.projects (id) on delete cascade,
  profile_id uuid not null references public.profiles (id),
  primary key (project_id, profile_id)
);

comment on table public.project_members is 'Profiles assigned to a project.';
