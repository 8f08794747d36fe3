import { PEOPLE_FIELDS } from '../fields.ts';
import type { ImportKind } from '../schema.ts';

/**
 * Import fields of the kinds beyond people (README "Imports"), each what the owning module's create
 * command accepts. Kept free of module imports: the HTTP contracts read them.
 */
export const ACCOUNT_FIELDS = [
  'name',
  'type',
  'domain',
  'website',
  'email',
  'phone',
  'addressLine1',
  'city',
  'postcode',
  'country',
  'externalId',
] as const;
export type AccountField = (typeof ACCOUNT_FIELDS)[number];

export const INSTALLER_FIELDS = [
  'name',
  'legalName',
  'companyNumber',
  'vatNumber',
  'email',
  'phone',
  'website',
  'addressLine1',
  'city',
  'postcode',
  'country',
  'status',
  'services',
  'regions',
  'capacityDaily',
  'capacityWeekly',
  'capacityMonthly',
  'priority',
] as const;
export type InstallerField = (typeof INSTALLER_FIELDS)[number];

export const REGION_POSTCODE_FIELDS = ['region', 'pattern', 'country'] as const;
export type RegionPostcodeField = (typeof REGION_POSTCODE_FIELDS)[number];

export const LEAD_FIELDS = [
  'fullName',
  'firstName',
  'lastName',
  'email',
  'phone',
  'postcode',
  'addressLine1',
  'city',
  'country',
  'source',
  'sourceDetail',
  'service',
  'selectedPath',
  'note',
] as const;
export type LeadField = (typeof LEAD_FIELDS)[number];

/** The kinds that can be imported, with their fields. A kind not listed answers 400 import.kind_unsupported. */
export const KIND_FIELDS: Partial<Record<ImportKind, readonly string[]>> = {
  people: PEOPLE_FIELDS,
  leads: LEAD_FIELDS,
  accounts: ACCOUNT_FIELDS,
  installers: INSTALLER_FIELDS,
  region_postcodes: REGION_POSTCODE_FIELDS,
};

export const SUPPORTED_KINDS = Object.keys(KIND_FIELDS) as ImportKind[];

/** Every field of every kind (the mapping body's values); setMapping checks them against the batch's kind. */
export const ALL_IMPORT_FIELDS = [...new Set(Object.values(KIND_FIELDS).flat())] as [string, ...string[]];

/** Header spellings, compared lower-case with everything but letters and digits removed. */
export const KIND_SYNONYMS: Partial<Record<ImportKind, Record<string, string[]>>> = {
  leads: {
    fullName: ['name', 'fullname', 'customername', 'contactname', 'customer', 'contact', 'leadname', 'homeowner'],
    firstName: ['firstname', 'first', 'forename', 'givenname'],
    lastName: ['lastname', 'last', 'surname', 'familyname'],
    email: ['email', 'emailaddress', 'mail', 'contactemail', 'customeremail'],
    phone: [
      'phone',
      'phonenumber',
      'mobile',
      'mobilenumber',
      'mobilephone',
      'telephone',
      'tel',
      'contactnumber',
      'cell',
    ],
    postcode: ['postcode', 'postalcode', 'zip', 'zipcode', 'eircode'],
    addressLine1: ['address', 'addressline1', 'address1', 'street', 'streetaddress', 'line1'],
    city: ['city', 'town', 'locality'],
    country: ['country', 'countrycode'],
    source: ['source', 'leadsource', 'channel', 'origin'],
    sourceDetail: ['sourcedetail', 'campaign', 'campaignname', 'utmcampaign', 'subsource', 'medium'],
    service: ['service', 'product', 'interest', 'productinterest', 'servicerequested', 'technology'],
    selectedPath: ['selectedpath', 'path', 'journey'],
    note: ['note', 'notes', 'comment', 'comments', 'message', 'remarks'],
  },
  accounts: {
    name: ['name', 'accountname', 'company', 'companyname', 'organisation', 'organization', 'business', 'account'],
    type: ['type', 'accounttype', 'kind', 'category', 'segment'],
    domain: ['domain', 'emaildomain', 'companydomain'],
    website: ['website', 'web', 'url', 'homepage', 'site', 'websiteurl'],
    email: ['email', 'emailaddress', 'mail', 'contactemail', 'generalemail'],
    phone: ['phone', 'phonenumber', 'telephone', 'tel', 'mainphone', 'officephone', 'contactnumber'],
    addressLine1: ['address', 'addressline1', 'address1', 'street', 'streetaddress', 'billingaddress', 'line1'],
    city: ['city', 'town', 'locality', 'billingcity'],
    postcode: ['postcode', 'postalcode', 'zip', 'zipcode', 'eircode', 'billingpostcode'],
    country: ['country', 'countrycode', 'billingcountry'],
    externalId: ['externalid', 'id', 'accountid', 'customerid', 'reference', 'ref', 'crmid'],
  },
  installers: {
    name: ['name', 'company', 'companyname', 'installer', 'installername', 'tradingname', 'business'],
    legalName: ['legalname', 'registeredname', 'legalentity'],
    companyNumber: ['companynumber', 'companyno', 'registrationnumber', 'cronumber', 'cro', 'crn'],
    vatNumber: ['vatnumber', 'vat', 'vatno', 'vatid', 'taxid'],
    email: ['email', 'emailaddress', 'mail', 'contactemail', 'leademail'],
    phone: ['phone', 'phonenumber', 'telephone', 'tel', 'mobile', 'contactnumber'],
    website: ['website', 'web', 'url', 'homepage', 'site'],
    addressLine1: ['address', 'addressline1', 'address1', 'street', 'streetaddress', 'line1'],
    city: ['city', 'town', 'locality'],
    postcode: ['postcode', 'postalcode', 'zip', 'zipcode', 'eircode'],
    country: ['country', 'countrycode'],
    status: ['status', 'installerstatus', 'state'],
    services: ['services', 'service', 'products', 'offers', 'servicesoffered', 'technologies'],
    regions: ['regions', 'region', 'coverage', 'areas', 'areascovered', 'serviceareas', 'counties', 'regioncodes'],
    capacityDaily: ['capacitydaily', 'dailycap', 'dailycapacity', 'capday', 'leadsperday', 'dailylimit'],
    capacityWeekly: ['capacityweekly', 'weeklycap', 'weeklycapacity', 'capweek', 'leadsperweek', 'weeklylimit'],
    capacityMonthly: ['capacitymonthly', 'monthlycap', 'monthlycapacity', 'capmonth', 'leadspermonth', 'monthlylimit'],
    priority: ['priority', 'rank', 'order'],
  },
  region_postcodes: {
    region: ['region', 'regioncode', 'regionname', 'area', 'territory', 'zone'],
    pattern: [
      'pattern',
      'postcode',
      'postcodepattern',
      'postcodeprefix',
      'prefix',
      'routingkey',
      'zip',
      'zipcode',
      'eircode',
      'outwardcode',
      'district',
    ],
    country: ['country', 'countrycode'],
  },
};
