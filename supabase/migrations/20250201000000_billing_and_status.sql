-- Billing plans, and a reworked project lifecycle: projects now start as 'pending' and can
-- be put 'on_hold'; 'draft' is gone. Postgres cannot drop an enum value, so the type is
-- rebuilt and the column converted, mapping 'draft' to 'pending'.

-- The view reads projects.status, which blocks changing the column's type.
drop view public.project_overview;

create type public.project_status_new as enum ('pending', 'active', 'on_hold', 'archived');

alter table public.projects alter column status drop default;

alter table public.projects
  alter column status type public.project_status_new
  using (
    case status::text
      when 'draft' then 'pending'
      else status::text
    end
  )::public.project_status_new;

drop type public.project_status;
alter type public.project_status_new rename to project_status;

alter table public.projects alter column status set default 'pending';

comment on type public.project_status is 'Lifecycle of a project: pending until work starts, on_hold while paused.';

create view public.project_overview as
select
  p.id as project_id,
  p.name as project_name,
  p.status,
  o.name as organization_name,
  (
    select count(*)
    from public.organization_members m
    where m.organization_id = o.id
  ) as member_count
from public.projects p
join public.organizations o on o.id = p.organization_id;

comment on view public.project_overview is 'One row per project with its organization, for the dashboard.';

alter table public.organizations
  add column billing_cycle varchar(16) not null default 'monthly'
    constraint organizations_billing_cycle_check check (billing_cycle in ('monthly', 'yearly')),
  add column max_members integer;

comment on column public.organizations.billing_cycle is 'How often the organization is invoiced.';
comment on column public.organizations.max_members is 'Seat limit of the plan; null means unlimited.';

alter table public.organizations drop column updated_at;

-- Project access now follows organization membership.
drop table public.project_members;

-- The API sends priorities as plain integers; the range check carries over unchanged.
alter table public.requirements alter column priority type integer;
