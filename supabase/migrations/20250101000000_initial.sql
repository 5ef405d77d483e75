-- Core tenancy: organizations, the people who sign in (profiles) and the projects an
-- organization runs. Requirements and documents hang off projects in later migrations.

create type public.org_type as enum ('company', 'nonprofit', 'government', 'personal');
comment on type public.org_type is 'Legal form of an organization; decides how it is invoiced.';

create type public.project_status as enum ('draft', 'active', 'archived');
comment on type public.project_status is 'Lifecycle of a project.';

create type public.member_role as enum ('owner', 'admin', 'member', 'viewer');
comment on type public.member_role is 'What a member may do inside an organization.';

create table public.organizations (
  id uuid primary key default gen_random_uuid(),
  name text not null,
  slug varchar(64) not null unique,
  type public.org_type not null default 'company',
  billing_email text,
  created_at timestamptz not null default now(),
  updated_at timestamptz,
  settings jsonb not null default '{}'
);

comment on table public.organizations is 'A customer account. Every project belongs to exactly one organization.';
comment on column public.organizations.slug is 'URL handle, unique across all tenants (lowercase, digits and dashes).';
comment on column public.organizations.billing_email is 'Where invoices go; null means the owner''s email.';
comment on column public.organizations.settings is 'Preferences as JSON, e.g. {"theme": "dark", "locale": "en"}.
Exports land under C:\Exports\Requirements on Windows agents.';

create table public.profiles (
  id uuid primary key,
  email varchar(320) not null unique,
  full_name text,
  created_at timestamptz not null default now()
);

comment on table public.profiles is 'One row per signed-up user; id is the auth user id.';
comment on column public.profiles.full_name is 'Display name as typed by the user — e.g. José Müller, Zoë Ødegård or 山田太郎.';

create table public.projects (
  id bigint generated always as identity primary key,
  organization_id uuid not null references public.organizations (id) on delete cascade,
  name text not null,
  status public.project_status not null default 'draft',
  budget numeric(12, 2),
  tags text[] not null default '{}',
  starts_on date,
  created_at timestamptz not null default now()
);

create index projects_organization_id_idx on public.projects (organization_id);

comment on table public.projects is 'A body of work whose requirements are tracked together.';
comment on column public.projects.budget is 'Approved budget in the organization''s billing currency.';
comment on column public.projects.tags is 'Free-form labels used for filtering.';
comment on column public.projects.starts_on is 'Planned kick-off date; null while unscheduled.';
